import HTTPTypes

/// The human documentation page served at `/docs`, generated from the endpoint descriptors
/// (``APIEndpoint/all``), the same ones the OpenAPI document at `/openapi.json` is built from. Only the
/// introduction (envelope, errors, token, query decoding) is prose written here.
enum DocsPage {
    /// The page for `endpoints`.
    static func html(endpoints: [APIEndpoint] = APIEndpoint.all) -> String {
        var page = header
        for section in APIEndpoint.Section.allCases {
            let members = endpoints.filter { $0.section == section }
            guard !members.isEmpty else { continue }
            page += "<h2>\(escape(section.rawValue))</h2>\n"
            for endpoint in members { page += html(endpoint) }
        }
        return page + "</body>\n</html>\n"
    }

    static func html(_ endpoint: APIEndpoint) -> String {
        let method = endpoint.isWebSocket ? "WS" : endpoint.method.rawValue
        var html = "<h3 id=\"\(escape(endpoint.operationID))\"><code>\(method) \(escape(endpoint.path))</code></h3>\n"
        html += "<p>\(inline(endpoint.summary))</p>\n"
        if let description = endpoint.description { html += "<p>\(inline(description))</p>\n" }
        if !endpoint.parameters.isEmpty {
            html += "<table>\n<tr><th>parameter</th><th>in</th><th>values</th><th>meaning</th></tr>\n"
            for parameter in endpoint.parameters {
                html +=
                    "<tr><td><code>\(escape(parameter.name))</code></td><td>\(parameter.location.rawValue)</td>"
                    + "<td>\(escape(parameter.constraintSummary))</td><td>\(inline(parameter.description))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += "<ul>\n"
        for response in endpoint.responses {
            html += "<li><code>\(response.status)</code> \(inline(response.description))</li>\n"
        }
        html += "</ul>\n"
        return html
    }

    /// HTML-escapes text.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    /// Escapes text and turns Markdown-style `code` spans into `<code>` elements.
    static func inline(_ text: String) -> String {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return parts.enumerated().map { index, part in
            index % 2 == 1 ? "<code>\(escape(String(part)))</code>" : escape(String(part))
        }.joined()
    }

    static let header = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Candystore Event Store API</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
        code, pre { background: #f4f4f4; padding: 0.1em 0.3em; border-radius: 3px; }
        h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
        h3 { margin-top: 1.5em; }
        table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
        </style>
        </head>
        <body>
        <h1>Candystore Event Store API</h1>
        <p>Read access to every stored Bloodbank event, causation chains, the workflow and session projections, and
        a live WebSocket stream. Machine-readable description: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
        <p>Every event is the canonical envelope (<code>event_id, event_type, timestamp, version, source,
        correlation_ids, agent_context, payload</code>) plus <code>position</code>: the gapless commit-order position,
        usable as a cursor (<code>after=</code>) for pages and for resuming the stream.</p>
        <p>Errors: <code>{"error":{"code":"invalid_parameter","message":"limit: must be between 1 and 1000, got 1001"}}</code>
        with 400 (bad parameter, named in the message), 401 (token), 404 (unknown id or route), 405 (a method the path
        does not serve; see <code>Allow</code>), 422 (inconsistent parameters), 426 (plain HTTP on the
        WebSocket stream), 503 (database down). When <code>API_TOKEN</code> is set, send
        <code>Authorization: Bearer &lt;token&gt;</code> everywhere except <code>/health</code>. Query strings are
        form-decoded (<code>+</code> is a space, as <code>URLSearchParams</code> sends it); booleans are
        <code>true</code>/<code>false</code>; parameters an operation does not list are ignored.</p>

        """#
}
