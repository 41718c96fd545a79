// The Velero store reader lands here (issue 6).
