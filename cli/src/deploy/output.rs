//! What `deploy` prints: plain lines, one per event, when stdout is not a terminal (CI,
//! a pipe); on a terminal the same lines with a progress line kept under them (how many
//! resources are done, under way, failed).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use super::events::Event;

/// Erases the progress line: back to its start, clear it.
const ERASE: &str = "\r\x1b[2K";

/// `deploy`'s output.
#[derive(Debug)]
pub struct Output<W> {
    out: W,
    terminal: bool,
    /// The stack's latest status.
    stack: String,
    /// Each resource's latest status.
    resources: BTreeMap<String, String>,
    progress_shown: bool,
}

impl<W: Write> Output<W> {
    /// Output to `out`; `terminal` adds the progress line.
    pub fn new(out: W, terminal: bool) -> Self {
        Output {
            out,
            terminal,
            stack: String::new(),
            resources: BTreeMap::new(),
            progress_shown: false,
        }
    }

    /// Prints `text` (a line, or several).
    pub fn line(&mut self, text: &str) {
        self.erase_progress();
        let _ = writeln!(self.out, "{}", text.trim_end_matches('\n'));
    }

    /// Prints one stack event, then on a terminal the progress line.
    pub fn event(&mut self, event: &Event) {
        self.line(&event.line());
        let status = event.resource_status.clone();
        if event.resource_type == "AWS::CloudFormation::Stack" {
            self.stack = status;
        } else {
            self.resources
                .insert(event.logical_resource_id.clone(), status);
        }
        if self.terminal {
            let _ = write!(self.out, "{}", progress(&self.stack, &self.resources));
            let _ = self.out.flush();
            self.progress_shown = true;
        }
    }

    fn erase_progress(&mut self) {
        if std::mem::take(&mut self.progress_shown) {
            let _ = write!(self.out, "{ERASE}");
        }
    }

    /// Asks `question`, reading the answer from `input` ([`super::prompt::confirm`]).
    pub fn confirm(&mut self, question: &str, input: &mut impl BufRead) -> bool {
        self.erase_progress();
        super::prompt::confirm(question, input, &mut self.out)
    }

    /// What was printed.
    pub fn writer(&self) -> &W {
        &self.out
    }
}

/// The stack's status, and `resources` (each one's latest status) counted: done, under
/// way, failed.
pub fn progress(stack: &str, resources: &BTreeMap<String, String>) -> String {
    let count = |f: fn(&str) -> bool| resources.values().filter(|s| f(s)).count();
    format!(
        "[{stack} | {} resources: {} done, {} in progress, {} failed]",
        resources.len(),
        count(|s| s.ends_with("_COMPLETE") || s.ends_with("_SKIPPED")),
        count(|s| s.ends_with("_IN_PROGRESS")),
        count(|s| s.ends_with("_FAILED")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::events::tests::failed_create;

    #[test]
    fn a_terminal_keeps_a_progress_line_under_the_events_and_a_pipe_gets_plain_lines() {
        let events = failed_create();
        let mut plain = Output::new(Vec::new(), false);
        let mut terminal = Output::new(Vec::new(), true);
        for event in events.iter().rev().take(9) {
            plain.event(event);
            terminal.event(event);
        }
        let plain = String::from_utf8(plain.writer().clone()).unwrap();
        assert_eq!(plain.lines().count(), 9);
        assert!(
            !plain.contains('\r') && !plain.contains("resources:"),
            "{plain}"
        );
        let terminal = String::from_utf8(terminal.writer().clone()).unwrap();
        assert!(
            terminal
                .ends_with("[CREATE_IN_PROGRESS | 4 resources: 1 done, 2 in progress, 1 failed]"),
            "{terminal}"
        );
        assert_eq!(
            terminal.matches(ERASE).count(),
            8,
            "erased before each next line"
        );
    }
}
