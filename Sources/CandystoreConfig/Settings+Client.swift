extension Settings {
    /// The Event Store API's base URL as clients reach it (no trailing slash): `CANDYSTORE_API_URL`, else
    /// `http://API_HOST:API_PORT`, a wildcard bind address being reached on loopback.
    public func apiBaseURL() throws(ConfigurationError) -> String {
        if let url = optionalString(.apiURL) {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigurationError(
                    "CANDYSTORE_API_URL must be an http(s) URL, got '\(url)'\(Self.origin(source(of: .apiURL)))",
                    key: SettingKey.apiURL.name)
            }
            return url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        var host = string(.apiHost)
        if host == "0.0.0.0" || host == "::" || host.isEmpty { host = "127.0.0.1" }
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        return "http://\(host):\(try int(.apiPort, in: 0...65535))"
    }
}
