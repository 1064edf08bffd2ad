//! `scpctl simulate`: one request through a policy set (`request`), or the scenario table of
//! the SCP (`request`) or of the sign-in RCP (`signin`), both printed by the base's table printer.

mod online;
mod request;
mod signin;

pub use request::run;
