#pragma once

namespace pw {

/// Exit codes of every command (DESIGN.md, "Exit codes"; the README's command table).
enum ExitCode : int
{
    kExitOk = 0, // OK, done and verified, dry run fine
    kExitWarn = 1, // status: worst severity WARN; readiness: worst layer WARN
    kExitCrit = 2, // status: CRIT; readiness: FAIL
    kExitStaleOrUnknown = 3, // status: STALE or UNKNOWN; readiness: UNKNOWN
    kExitConfigError = 4, // config or usage error
    kExitRefused = 5, // refused by preflight, nothing changed
    kExitFailed = 6, // failed, partly applied or not reconciled
    kExitAddressInUse = 7, // a listen address is in use
    kExitDataDir = 8, // the data dir cannot be used: not writable, full, locked by another instance
    kExitNoDisplay = 9, // the window cannot open: use `pathwatch headless`
};

} // namespace pw
