//! The lints on the policy itself, one file per lint, each declared with
//! [`declare_lint!`](crate::declare_lint) so that its doc comment is its
//! user documentation.

pub mod dangerous_write;
pub mod unconfined_exec;

use crate::model::Decision;

/// Whether a rule with this decision grants what it names. `prompt` rules
/// count as allow: kernels without a prompt listener compile them so.
fn grants(decision: Decision) -> bool {
    matches!(decision, Decision::Allow | Decision::Prompt)
}
