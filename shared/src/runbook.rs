//! The runbook as data: for each reason code a resource can answer, what it means, what
//! to check and what to do. One source: a `FAILED` reason ends with the entry's "what to
//! do", and `docs/runbook.md` is rendered from the same tables (each function's tests
//! keep the two in step).

use crate::failure::ReasonCode;

/// The runbook entry of one reason code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remedy {
    /// The code.
    pub code: ReasonCode,
    /// What it means for this resource.
    pub means: &'static str,
    /// Where to look: a console page, a CLI call.
    pub check: &'static str,
    /// What to do.
    pub action: &'static str,
}

/// The entries every resource shares: the codes the kit itself answers the same way for
/// every resource (retries that ran out, the deadline, a bug, a quota).
pub const COMMON_REMEDIES: &[Remedy] = &[
    Remedy {
        code: ReasonCode::Throttled,
        means: "AWS throttled the calls until the deadline, through every retry",
        check: "the operation named in the reason; CloudTrail events of that API with errorCode ThrottlingException; Service Quotas for its rate",
        action: "retry the stack operation once the account is quieter, or ask for a higher rate quota",
    },
    Remedy {
        code: ReasonCode::ServiceError,
        means: "the service answered 5xx (or the network failed) until the deadline, or reported a failure of its own",
        check: "the AWS Health Dashboard for the service and region; the AWS request id in the reason",
        action: "retry the stack operation; if it persists, open a support case quoting the AWS request id",
    },
    Remedy {
        code: ReasonCode::Timeout,
        means: "the Lambda deadline (less a safety margin) arrived first; the reason says what was done and what was pending",
        check: "the function's log group for the request id; the step named after 'pending'",
        action: "retry the stack operation (every step is idempotent); if a wait is what ran out, raise the function's Timeout and the resource's ServiceTimeout together",
    },
    Remedy {
        code: ReasonCode::Internal,
        means: "a bug in the function (a panic, or an answer it could not build)",
        check: "the function's log group for the request id (the panic message is logged)",
        action: "report it with the log lines; the stack can be rolled back, and a Delete still works",
    },
    Remedy {
        code: ReasonCode::LimitExceeded,
        means: "a service quota was reached",
        check: "Service Quotas for the service named in the reason",
        action: "free capacity (delete what is unused) or ask for a higher quota, then retry",
    },
];

/// The entry for `code`: the resource's own, else the common one.
pub(crate) fn remedy_for(resource: &[Remedy], code: ReasonCode) -> Option<&Remedy> {
    resource
        .iter()
        .chain(COMMON_REMEDIES)
        .find(|remedy| remedy.code == code)
}

/// The runbook's section for a resource: a table, one row per code, in code order.
pub fn render_runbook(title: &str, remedies: &[Remedy]) -> String {
    let mut rows: Vec<&Remedy> = remedies.iter().collect();
    rows.sort_by_key(|r| ReasonCode::ALL.iter().position(|c| *c == r.code));
    let mut out =
        format!("## {title}\n\n| code | means | check | what to do |\n| --- | --- | --- | --- |\n");
    for r in rows {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.code.as_str(),
            r.means,
            r.check,
            r.action
        ));
    }
    out
}
