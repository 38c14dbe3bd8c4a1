//! Asking before a change set is executed: only on a terminal, and only a `y` or `yes`
//! executes it.

use std::io::{BufRead, Write};

/// Whether the change set may run: `--yes`, a question on a terminal, or (neither) no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// `--yes`: execute without asking.
    Given,
    /// Ask on the terminal.
    Ask,
    /// Not a terminal and no `--yes`: refuse.
    Refused,
}

impl Approval {
    /// `--yes`, else ask when both stdin and stdout are a terminal, else refuse.
    pub fn from(yes: bool, terminal: bool) -> Self {
        match (yes, terminal) {
            (true, _) => Approval::Given,
            (false, true) => Approval::Ask,
            (false, false) => Approval::Refused,
        }
    }
}

impl Approval {
    /// Who approved, as the audit log records it.
    pub fn by(self) -> &'static str {
        match self {
            Approval::Given => "--yes",
            Approval::Ask => "the prompt",
            Approval::Refused => "nobody: no --yes, not a terminal",
        }
    }
}

/// Asks `question` on `out` and reads the answer from `input`: `y` or `yes`, any case.
pub fn confirm(question: &str, input: &mut impl BufRead, out: &mut impl Write) -> bool {
    let _ = write!(out, "{question} [y/N] ");
    let _ = out.flush();
    let mut answer = String::new();
    if input.read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_executes_and_off_a_terminal_nothing_is_asked() {
        for (answer, expected) in [
            ("y\n", true),
            ("YES\n", true),
            ("\n", false),
            ("no\n", false),
            ("", false),
        ] {
            let mut out = Vec::new();
            assert_eq!(
                confirm("Execute?", &mut answer.as_bytes(), &mut out),
                expected,
                "{answer:?}"
            );
            assert_eq!(out, b"Execute? [y/N] ");
        }
        assert_eq!(Approval::from(true, false), Approval::Given);
        assert_eq!(Approval::from(false, true), Approval::Ask);
        assert_eq!(Approval::from(false, false), Approval::Refused);
    }
}
