package deploy

// SetLimits lowers d's size and entry limits, so that tests need not write
// a GiB to reach them.
func SetLimits(d *Dir, bytes int64, entries int) {
	d.maxBytes = bytes
	d.maxEntries = entries
}

// TempName is tempName, for tests that plant the leftovers of an
// interrupted write.
var TempName = tempName
