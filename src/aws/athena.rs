//! Amazon Athena: start one query, poll it with backoff until it ends, page through its
//! results. Nothing else: the query itself is the core's (`scpctl_core::impact::sql`).

use std::time::Duration;

use anyhow::{bail, Result};
use aws_config::SdkConfig;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};

use super::CallCounter;

/// Athena's price for SQL queries: USD 5 per TB of data scanned, at least 10 MB per query
/// (Amazon Athena pricing, https://aws.amazon.com/athena/pricing/, US East).
pub const USD_PER_TB: f64 = 5.0;
pub const MIN_BILLED_BYTES: u64 = 10 * 1_000_000;

/// What one finished query reports.
#[derive(Debug, Clone, Default)]
pub struct QueryRun {
    pub id: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    pub scanned_bytes: u64,
    pub engine_ms: i64,
}

impl QueryRun {
    /// The cost at [`USD_PER_TB`], with Athena's 10 MB minimum.
    pub fn cost_usd(&self) -> f64 {
        self.scanned_bytes.max(MIN_BILLED_BYTES) as f64 / 1e12 * USD_PER_TB
    }
}

pub struct Athena {
    client: aws_sdk_athena::Client,
}

impl Athena {
    pub fn new(config: &SdkConfig, counter: &CallCounter) -> Athena {
        let conf = aws_sdk_athena::config::Builder::from(config)
            .interceptor(counter.clone())
            .retry_classifier(super::ConnectionRetries::shared())
            .build();
        Athena {
            client: aws_sdk_athena::Client::from_conf(conf),
        }
    }

    /// Start `sql`, wait for it (StopQueryExecution on Ctrl-C), and read every result row.
    pub async fn run(
        &self,
        sql: &str,
        workgroup: &str,
        output_location: Option<&str>,
        poll_start: Duration,
    ) -> Result<QueryRun> {
        let mut start = self
            .client
            .start_query_execution()
            .query_string(sql)
            .work_group(workgroup)
            .query_execution_context(
                QueryExecutionContext::builder()
                    .catalog("AwsDataCatalog")
                    .build(),
            );
        if let Some(o) = output_location {
            start = start
                .result_configuration(ResultConfiguration::builder().output_location(o).build());
        }
        let started = start
            .send()
            .await
            .map_err(|e| super::explain("Athena StartQueryExecution", &e))?;
        let Some(id) = started.query_execution_id else {
            bail!("Athena StartQueryExecution returned no query execution id");
        };
        tracing::info!("Athena query {id} started in workgroup {workgroup}");
        let mut wait = poll_start;
        let mut run = QueryRun {
            id: id.clone(),
            ..Default::default()
        };
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                _ = &mut ctrl_c => {
                    let stopped = self.client.stop_query_execution().query_execution_id(&id).send().await;
                    match stopped {
                        Ok(_) => bail!("interrupted: Athena query {id} cancelled (StopQueryExecution)"),
                        Err(e) => return Err(super::explain(&format!("interrupted, and Athena query {id} could not be cancelled"), &e)),
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
            // Backoff: 4 polls a second at first, at most one every 5 s.
            wait = (wait * 2).min(Duration::from_secs(5));
            let got = self
                .client
                .get_query_execution()
                .query_execution_id(&id)
                .send()
                .await
                .map_err(|e| super::explain("Athena GetQueryExecution", &e))?;
            let Some(exec) = got.query_execution else {
                continue;
            };
            if let Some(s) = &exec.statistics {
                run.scanned_bytes = s.data_scanned_in_bytes.unwrap_or(0).max(0) as u64;
                run.engine_ms = s.engine_execution_time_in_millis.unwrap_or(0);
            }
            let status = exec.status.as_ref();
            match status.and_then(|s| s.state.clone()) {
                Some(QueryExecutionState::Succeeded) => break,
                Some(QueryExecutionState::Failed) | Some(QueryExecutionState::Cancelled) => {
                    let reason = status
                        .and_then(|s| s.state_change_reason.clone())
                        .unwrap_or_else(|| "no reason given".into());
                    let state = status
                        .and_then(|s| s.state.as_ref())
                        .map_or("FAILED", |s| s.as_str());
                    bail!("Athena query {id} {state}: {reason}");
                }
                _ => {}
            }
        }
        let mut pages = self
            .client
            .get_query_results()
            .query_execution_id(&id)
            .into_paginator()
            .send();
        let mut first = true;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| super::explain("Athena GetQueryResults", &e))?;
            let Some(set) = page.result_set else { continue };
            if first {
                run.columns = set
                    .result_set_metadata
                    .as_ref()
                    .map(|m| {
                        m.column_info()
                            .iter()
                            .map(|c| c.name().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
            }
            for (i, row) in set.rows.unwrap_or_default().into_iter().enumerate() {
                let cells: Vec<Option<String>> = row
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| d.var_char_value)
                    .collect();
                // A SELECT's first row holds the column names.
                if first
                    && i == 0
                    && cells
                        .iter()
                        .map(|c| c.as_deref())
                        .eq(run.columns.iter().map(|c| Some(c.as_str())))
                {
                    continue;
                }
                run.rows.push(cells);
            }
            first = false;
        }
        Ok(run)
    }
}
