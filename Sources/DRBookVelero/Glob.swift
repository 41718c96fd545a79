/// Shell-style patterns: `*` any run of characters, `?` one character, everything
/// else literal (namespace filters, expected PVC names such as `prometheus-*`).
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern)
        let t = Array(text)
        var pi = 0, ti = 0
        var starAt = -1, matchAt = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == "*" {
                starAt = pi
                matchAt = ti
                pi += 1
            } else if starAt >= 0 {
                pi = starAt + 1
                matchAt += 1
                ti = matchAt
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
