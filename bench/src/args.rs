//! The command line.

use std::path::PathBuf;

use crate::subjects::SUBJECTS;

const USAGE: &str =
    "usage: bench [--runs N] [--function NAME]... [--json PATH | --json-dir DIR (writes DIR/<function>.json)]";

pub(crate) struct Args {
    pub(crate) runs: usize,
    functions: Vec<String>,
    json: Option<PathBuf>,
    json_dir: Option<PathBuf>,
}

impl Args {
    /// This process's arguments; panics with the usage on a wrong one.
    pub(crate) fn parse() -> Self {
        let mut parsed = Args {
            runs: 9,
            functions: vec![],
            json: None,
            json_dir: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .unwrap_or_else(|| panic!("{arg} needs a value; {USAGE}"))
            };
            match arg.as_str() {
                "--runs" => parsed.runs = value().parse().expect("--runs N"),
                "--function" => parsed.functions.push(value()),
                "--json" => parsed.json = Some(PathBuf::from(value())),
                "--json-dir" => parsed.json_dir = Some(PathBuf::from(value())),
                other => panic!("unknown argument {other}; {USAGE}"),
            }
        }
        assert!(parsed.runs >= 1, "--runs must be at least 1");
        for name in &parsed.functions {
            assert!(
                SUBJECTS.iter().any(|s| s.name == name),
                "no benchmark for {name}; known: {:?}",
                SUBJECTS.iter().map(|s| s.name).collect::<Vec<_>>()
            );
        }
        assert!(
            parsed.json.is_none()
                || SUBJECTS.iter().filter(|s| parsed.benches(s.name)).count() == 1,
            "--json takes one function (use --json-dir for several)"
        );
        parsed
    }

    /// Whether the function `name` is benched (all are when none is named).
    pub(crate) fn benches(&self, name: &str) -> bool {
        self.functions.is_empty() || self.functions.iter().any(|f| f == name)
    }

    /// Where the report of the function `name` goes.
    pub(crate) fn json_paths(&self, name: &str) -> Vec<PathBuf> {
        let in_dir = self
            .json_dir
            .as_ref()
            .map(|dir| dir.join(format!("{name}.json")));
        self.json.iter().cloned().chain(in_dir).collect()
    }
}
