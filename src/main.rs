//! The `release-tool` binary: a thin shell over the library.

fn main() -> std::process::ExitCode {
    release_tool::main_entry()
}
