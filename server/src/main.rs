//! `caregraph`: the `CareGraph` server and its command line.

/// mimalloc: faster than the system allocator for the loader's many small
/// allocations, and it returns memory freed on another thread without the
/// fragmentation glibc shows (measured in `caregraph bench ingest`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    server::cli::main()
}
