//! The reports as one self-contained HTML page each, drawn from the JSON document the same
//! command prints with `--output json`, so every number on a page is the JSON's by
//! construction: `impact --output html` ([`impact_html`]) and `denials --output html`
//! ([`denials_html`]), in one frame ([`page`]: the Content-Security-Policy, the style, the
//! sorting script, escaping and the per-day chart).

pub mod denials;
pub mod impact;
pub mod page;

pub use denials::denials_html;
pub use impact::impact_html;
pub use page::{esc, CSP};
