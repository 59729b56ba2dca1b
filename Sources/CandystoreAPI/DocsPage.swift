/// The human documentation page served at `/docs`: a summary of every endpoint, with the machine-readable
/// description at `/openapi.json`.
enum DocsPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Candystore Event Store API</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
        code, pre { background: #f4f4f4; padding: 0.1em 0.3em; border-radius: 3px; }
        pre { padding: 0.8em; overflow-x: auto; }
        h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
        table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; }
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
        with 400 (bad parameter, named in the message), 401 (token), 404 (unknown id or route), 405 (a method other
        than GET, HEAD or OPTIONS; see <code>Allow</code>), 422 (inconsistent parameters), 426 (plain HTTP on the
        WebSocket stream), 503 (database down). When <code>API_TOKEN</code> is set, send
        <code>Authorization: Bearer &lt;token&gt;</code> everywhere except <code>/health</code>. Query strings are
        form-decoded (<code>+</code> is a space, as <code>URLSearchParams</code> sends it); booleans are
        <code>true</code>/<code>false</code>.</p>

        <h2>Events</h2>
        <pre>GET /api/v1/events?workflow_id=&amp;correlation_id=&amp;event_type=bmad.workflow.*,agent.handoff.accepted
            &amp;start_time=2026-01-11T00:00:00Z&amp;end_time=…&amp;agent=&amp;limit=100&amp;offset=0&amp;after=&amp;order=asc&amp;count=true</pre>
        <p>A bare JSON array. <code>limit</code> 1–1000 (default 100), <code>start_time</code> (alias <code>since</code>)
        inclusive, <code>end_time</code> (alias <code>until</code>) exclusive, <code>event_type</code> comma-separated with
        <code>*</code> wildcards, <code>correlation_id</code> = events naming that event as a parent, <code>agent</code> =
        agent_context name or instance id. <code>count=true</code> adds <code>X-Total-Count</code>; a full page carries
        <code>Link: &lt;…&amp;after=N&gt;; rel="next"</code>.</p>
        <pre>GET /api/v1/events/{event_id}
        GET /api/v1/events/{event_id}/descendants?format=tree|flat|graph&amp;max_depth=100
        GET /api/v1/events/{event_id}/ancestors?format=tree|flat|graph&amp;max_depth=100</pre>
        <table>
        <tr><th>format</th><th>shape</th></tr>
        <tr><td>tree (default)</td><td><code>{"event":…,"depth":0,"children":[{"event":…,"depth":1,"children":[…]}],"truncated":false}</code> (ancestors: <code>parents</code>)</td></tr>
        <tr><td>flat</td><td><code>{"root_event":…,"descendants":[{"event":…,"depth":1,"path":[root,…,id]}],"total_descendants":N,"truncated":false}</code></td></tr>
        <tr><td>graph</td><td><code>{"root_event_id":…,"nodes":[{"id","depth","event"}],"edges":[{"from":parent,"to":child}],"truncated":false}</code></td></tr>
        </table>
        <p>Chronological within each depth; <code>max_depth</code> 0–100; safe against cycles in the data; at most
        <code>API_MAX_CAUSATION_NODES</code> events, then <code>truncated: true</code>.</p>

        <h2>Workflows and sessions</h2>
        <pre>GET /api/v1/workflows?project=&amp;phase=&amp;status=active|completed|failed|cancelled&amp;active=true&amp;limit=&amp;offset=&amp;count=
        GET /api/v1/workflows/{workflow_id}
        GET /api/v1/workflows/{workflow_id}/timeline
        GET /api/v1/sessions/{session_id}            (agent-&lt;uuid&gt; or the bare UUID)
        GET /api/v1/sessions/{session_id}/events</pre>

        <h2>Live stream</h2>
        <pre>WS /api/v1/events/stream?event_type=bmad.workflow.*&amp;workflow_id=…&amp;after=1234</pre>
        <p>Frames from the server: <code>{"type":"event","position":N,"data":Event}</code>,
        <code>{"type":"heartbeat","timestamp":"…"}</code> every 30 s, <code>{"type":"error","message":"…"}</code>.
        Send <code>{"type":"subscribe","filters":{"event_type":"a.*","workflow_id":"…"}}</code> to change filters
        (acknowledged by <code>{"type":"subscribed",…}</code>). With <code>after=N</code> the server replays every
        matching event after N, then continues live, with no gap and no duplicate. Remember the last
        <code>position</code> you received and reconnect with <code>after=</code> it. A client that falls too far behind
        is sent an error frame and closed.</p>

        <h2>Operations</h2>
        <pre>GET /health    PostgreSQL, Redis and RabbitMQ, each reported separately (503 when any is down)
        GET /metrics   Prometheus text format, request latency histogram per route</pre>
        </body>
        </html>
        """#
}
