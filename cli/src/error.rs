//! What stops a command before it can judge anything.

/// An error that ends the command (exit code [`crate::finding::EXIT_ERROR`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter the template does not declare, or a malformed `Key=Value`.
    #[error("parameter {0}")]
    Parameter(String),
    /// A parameters file that cannot be read or parsed.
    #[error("parameters file {path}: {message}")]
    ParametersFile {
        /// The file given.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// No region from the flags, the environment or the profile.
    #[error("no region: pass --region or --regions, or set AWS_REGION or the profile's region")]
    NoRegion,
}
