// Kubernetes access lands here (issue 4).
