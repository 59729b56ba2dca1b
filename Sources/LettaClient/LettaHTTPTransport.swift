import AsyncHTTPClient
package import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One HTTP request to Letta, fully built (URL, headers, body) before any I/O, so request building is
/// testable without a server.
package struct LettaHTTPRequest: Sendable, Equatable {
    /// `GET`, `POST` or `DELETE`.
    package var method: String
    /// The absolute URL, query included.
    package var url: String
    /// Headers in sending order.
    package var headers: [Header]
    /// The JSON body, if any.
    package var body: Data?
    /// The deadline for the whole exchange.
    package var timeout: Duration

    /// A header; a struct rather than a tuple so requests compare in tests.
    package struct Header: Sendable, Equatable {
        package var name: String
        package var value: String
    }

    /// `GET /v1/agents/` style summary for errors and logs (no query, no credentials).
    package var summary: String {
        let path = URLComponents(string: url)?.path ?? url
        return "\(method) \(path)"
    }

    /// The value of a header, for tests.
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A status and body from Letta.
package struct LettaHTTPResponse: Sendable, Equatable {
    /// The HTTP status code.
    package var status: Int
    /// The whole body.
    package var body: Data

    /// Creates a response; fakes in tests build these.
    package init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

/// Sends a built request and returns the complete response, throwing ``LettaClientError`` on transport
/// failure. The seam between the pure client logic and I/O: tests substitute a fake.
package protocol LettaHTTPTransport: Sendable {
    /// Performs the exchange within `request.timeout`.
    func send(_ request: LettaHTTPRequest) async throws(LettaClientError) -> LettaHTTPResponse
}

/// The real transport: AsyncHTTPClient.
struct AsyncHTTPClientTransport: LettaHTTPTransport {
    let httpClient: HTTPClient
    let maxResponseBytes: Int
    let logger: Logger

    func send(_ request: LettaHTTPRequest) async throws(LettaClientError) -> LettaHTTPResponse {
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = .init(rawValue: request.method)
        for header in request.headers {
            outbound.headers.add(name: header.name, value: header.value)
        }
        if let body = request.body {
            outbound.headers.add(name: "Content-Type", value: "application/json")
            outbound.body = .bytes(Array(body))
        }
        let timeout = TimeAmount.nanoseconds(Int64(request.timeout.inNanoseconds))
        logger.debug("letta request", metadata: ["request": "\(request.summary)"])
        do {
            let response = try await httpClient.execute(outbound, timeout: timeout, logger: logger)
            let buffer = try await response.body.collect(upTo: maxResponseBytes)
            return LettaHTTPResponse(status: Int(response.status.code), body: Data(buffer.readableBytesView))
        } catch let error as HTTPClientError {
            throw Self.map(error, request: request)
        } catch let error as NIOTooManyBytesError {
            throw LettaClientError(
                code: .invalidResponse,
                message: "Letta's response body exceeds the configured maximum of \(maxResponseBytes) bytes",
                request: request.summary,
                underlying: error
            )
        } catch is CancellationError {
            throw LettaClientError(code: .timeout, message: "the request was cancelled", request: request.summary)
        } catch {
            throw LettaClientError(
                code: .connectionFailed,
                message: "cannot reach Letta at \(request.url): \(error)",
                request: request.summary,
                underlying: error
            )
        }
    }

    /// Timeouts are worth telling apart from refused connections: the first may succeed on a retry with a
    /// longer deadline, the second means the server is down.
    static func map(_ error: HTTPClientError, request: LettaHTTPRequest) -> LettaClientError {
        switch error {
        case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout:
            return LettaClientError(
                code: .timeout,
                message: "no answer from Letta within \(request.timeout) (\(error))",
                request: request.summary,
                underlying: error
            )
        default:
            return LettaClientError(
                code: .connectionFailed,
                message: "cannot reach Letta at \(request.url): \(error)",
                request: request.summary,
                underlying: error
            )
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating; AsyncHTTPClient takes NIO's `TimeAmount`.
    var inNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
