//! What stops a command before it can judge anything.

/// An error that ends the command (exit code [`crate::finding::EXIT_ERROR`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter the template does not declare, or a malformed `Key=Value`.
    #[error("parameter {0}")]
    Parameter(String),
    /// A file given on the command line (parameters, template, audit log) that cannot be
    /// read, parsed or written.
    #[error("{what} {path}: {message}")]
    File {
        /// What the file is for, e.g. `parameters file`.
        what: &'static str,
        /// The file given.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// No region from the flags, the environment or the profile.
    #[error("no region: pass --region or --regions, or set AWS_REGION or the profile's region")]
    NoRegion,
}

impl Error {
    /// [`Error::File`]: `what` file `path` and what went wrong with it.
    pub fn file(
        what: &'static str,
        path: impl std::fmt::Display,
        message: impl std::fmt::Display,
    ) -> Error {
        Error::File {
            what,
            path: path.to_string(),
            message: message.to_string(),
        }
    }
}
