package siptest

import "os"

// tryLock does not lock on Windows: the SIP peers these tests start run
// on Linux, and the probe binds still keep ports apart.
func tryLock(*os.File) error { return nil }
