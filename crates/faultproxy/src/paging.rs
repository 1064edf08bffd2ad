//! IAM paging that moto skips: moto answers `GetAccountAuthorizationDetails` with every user at
//! once and ignores `MaxItems` and `Marker`. IAM returns at most `MaxItems` (1 to 1,000, 100 by
//! default) and "may return fewer results, even when more results are available"
//! (GetAccountAuthorizationDetails, IAM API reference): then `IsTruncated` is true and `Marker`
//! gives where to go on. Here the proxy answers the operation itself for `Filter=User`: the first
//! call asks moto for the whole list once and keeps it; each call returns the next
//! `min(MaxItems, page_size)` users with an opaque `Marker`, so a client's paging loop is really
//! exercised. Other filters are forwarded as they are.

use std::collections::HashMap;
use std::net::SocketAddr;

use bytes::Bytes;

use crate::iam::form_value;
use crate::{send, Fault};

/// IAM's default `MaxItems`.
const DEFAULT_MAX_ITEMS: usize = 100;
/// IAM's largest `MaxItems`.
const MAX_MAX_ITEMS: usize = 1000;

/// One listing from moto, split around its users, served a page at a time.
#[derive(Debug)]
struct Listing {
    /// The document up to and including `<UserDetailList>`.
    head: String,
    /// Each user's `<member>...</member>`.
    users: Vec<String>,
    /// From `</UserDetailList>` to the end.
    tail: String,
}

/// Listings being paged through, by the id their markers carry.
#[derive(Debug, Default)]
pub(crate) struct Pages {
    next_id: u64,
    listings: HashMap<u64, Listing>,
}

/// What the request asks: `None` where this is not a user listing the proxy pages.
struct Ask {
    max_items: usize,
    marker: Option<(u64, usize)>,
}

fn parse_ask(body: &str) -> Result<Option<Ask>, Fault> {
    let filters: Vec<String> = (1..)
        .map_while(|i| form_value(body, &format!("Filter.member.{i}")))
        .collect();
    if filters != ["User"] {
        return Ok(None);
    }
    let max_items = match form_value(body, "MaxItems") {
        None => DEFAULT_MAX_ITEMS,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_MAX_ITEMS).contains(&n) => n,
            _ => {
                return Err(Fault::Error {
                    code: "ValidationError".into(),
                    message: format!(
                        "1 validation error detected: Value '{v}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
                    ),
                })
            }
        },
    };
    let marker = match form_value(body, "Marker") {
        None => None,
        Some(m) => Some(decode_marker(&m).ok_or_else(|| Fault::Error {
            code: "InvalidInput".into(),
            message: format!("Invalid Marker: {m}"),
        })?),
    };
    Ok(Some(Ask { max_items, marker }))
}

fn encode_marker(id: u64, offset: usize) -> String {
    format!("fp{id:x}x{offset:x}")
}

fn decode_marker(m: &str) -> Option<(u64, usize)> {
    let (id, offset) = m.strip_prefix("fp")?.split_once('x')?;
    Some((
        u64::from_str_radix(id, 16).ok()?,
        usize::from_str_radix(offset, 16).ok()?,
    ))
}

/// Split moto's answer around its user list; `None` if it has no users to page (an empty
/// `<UserDetailList/>`) or is not the expected shape.
fn split(xml: &str) -> Option<Listing> {
    const OPEN: &str = "<UserDetailList>";
    const CLOSE: &str = "</UserDetailList>";
    let start = xml.find(OPEN)? + OPEN.len();
    let end = xml.rfind(CLOSE)?;
    let list = xml.get(start..end)?;
    let mut users = Vec::new();
    let (mut depth, mut from, mut i) = (0usize, 0usize, 0usize);
    while let Some(lt) = list[i..].find('<') {
        i += lt;
        let rest = &list[i..];
        if rest.starts_with("<member>") {
            if depth == 0 {
                from = i;
            }
            depth += 1;
            i += "<member>".len();
        } else if rest.starts_with("</member>") {
            depth = depth.checked_sub(1)?;
            i += "</member>".len();
            if depth == 0 {
                users.push(list[from..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    (depth == 0).then(|| Listing {
        head: xml[..start].to_string(),
        users,
        tail: xml[end..].to_string(),
    })
}

/// One page of a listing, with `IsTruncated` and `Marker` as IAM gives them.
fn page(listing: &Listing, from: usize, to: usize, marker: Option<&str>) -> String {
    let truncated = match marker {
        Some(m) => format!("<IsTruncated>true</IsTruncated><Marker>{m}</Marker>"),
        None => "<IsTruncated>false</IsTruncated>".to_string(),
    };
    let tail = listing
        .tail
        .replacen("<IsTruncated>false</IsTruncated>", &truncated, 1);
    let mut out = String::with_capacity(listing.head.len() + tail.len() + 2048 * (to - from));
    out.push_str(&listing.head);
    for u in &listing.users[from..to] {
        out.push_str(u);
    }
    out.push_str(&tail);
    out
}

/// Answer a `GetAccountAuthorizationDetails` call a page at a time: `Ok(None)` forwards it as it
/// is (not a user listing, or moto answered something else).
pub(crate) async fn answer(
    state: &std::sync::Mutex<crate::State>,
    upstream: SocketAddr,
    parts: &hyper::http::request::Parts,
    body: &Bytes,
) -> Result<Option<String>, Fault> {
    let text = String::from_utf8_lossy(body);
    let Some(ask) = parse_ask(&text)? else {
        return Ok(None);
    };
    let (id, from) = match ask.marker {
        Some(m) => m,
        None => {
            let Ok((rparts, bytes)) = send(upstream, parts, body.clone()).await else {
                return Ok(None);
            };
            if !rparts.status.is_success() {
                return Ok(None);
            }
            let Some(listing) = split(&String::from_utf8_lossy(&bytes)) else {
                return Ok(None);
            };
            let mut s = state.lock().expect("proxy state");
            let id = s.pages.next_id;
            s.pages.next_id += 1;
            s.pages.listings.insert(id, listing);
            (id, 0)
        }
    };
    let mut s = state.lock().expect("proxy state");
    let page_size = ask.max_items.min(s.config.iam_page_size.max(1));
    let listing = s.pages.listings.get(&id).ok_or_else(|| Fault::Error {
        code: "InvalidInput".into(),
        message: format!("Invalid Marker: {}", encode_marker(id, from)),
    })?;
    let from = from.min(listing.users.len());
    let to = (from + page_size).min(listing.users.len());
    if to < listing.users.len() {
        Ok(Some(page(listing, from, to, Some(&encode_marker(id, to)))))
    } else {
        let out = page(listing, from, to, None);
        s.pages.listings.remove(&id);
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOTO: &str = "<R><GetAccountAuthorizationDetailsResult><UserDetailList><member><UserName>a</UserName><Tags><member><Key>k</Key><Value>v</Value></member></Tags></member><member><UserName>b</UserName><GroupList/></member><member><UserName>c</UserName></member></UserDetailList><GroupDetailList/><IsTruncated>false</IsTruncated></GetAccountAuthorizationDetailsResult></R>";

    #[test]
    fn users_are_split_at_the_top_level_and_paged_with_a_marker() {
        let listing = split(MOTO).unwrap();
        assert_eq!(listing.users.len(), 3);
        assert!(listing.users[0].contains("<Tags><member><Key>k</Key>"));
        let first = page(&listing, 0, 2, Some("fp0x2"));
        assert!(first.contains("<UserName>b</UserName>") && !first.contains(">c<"));
        assert!(first.contains("<IsTruncated>true</IsTruncated><Marker>fp0x2</Marker>"));
        let last = page(&listing, 2, 3, None);
        assert!(last.contains(">c<") && last.contains("<IsTruncated>false</IsTruncated>"));
        assert!(split("<R><UserDetailList/></R>").is_none());
    }

    #[test]
    fn markers_and_limits_are_read_as_iam_does() {
        assert_eq!(decode_marker(&encode_marker(7, 300)), Some((7, 300)));
        assert_eq!(decode_marker("nonsense"), None);
        let ask = parse_ask("Action=GetAccountAuthorizationDetails&Filter.member.1=User")
            .unwrap()
            .unwrap();
        assert_eq!((ask.max_items, ask.marker), (100, None));
        let ask = parse_ask("Filter.member.1=User&MaxItems=1000&Marker=fp1x64")
            .unwrap()
            .unwrap();
        assert_eq!((ask.max_items, ask.marker), (1000, Some((1, 100))));
        assert!(parse_ask("Filter.member.1=User&Filter.member.2=Role")
            .unwrap()
            .is_none());
        assert!(parse_ask("Filter.member.1=User&MaxItems=1001").is_err());
        assert!(parse_ask("Filter.member.1=User&Marker=x").is_err());
    }
}
