// The runbook engine lands here (issue 3).
