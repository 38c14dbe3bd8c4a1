//! `baseline`: parse the command line, run it, exit with its outcome's code.

fn main() -> std::process::ExitCode {
    baseline::main()
}
