import BloodbankModel
import CandystoreConfig
import Foundation

/// What `bb` needs from the configuration, read once per command from the environment over `.env` over the
/// defaults (the same rules as the server, `CandystoreConfig.Settings`).
struct ClientSettings: Sendable {
    /// AMQP URL of the broker (`RABBITMQ_URL`).
    var rabbitMQURL: String
    /// The Bloodbank exchange (`BLOODBANK_EXCHANGE`).
    var exchange: String
    /// The Event Store API's base URL (`CANDYSTORE_API_URL`, else `API_HOST:API_PORT`).
    var apiBaseURL: String
    /// The API's bearer token (`API_TOKEN`).
    var apiToken: String?
    /// `source.host` of published envelopes (`BLOODBANK_SOURCE_HOST`, else the host name).
    var sourceHost: String
    /// `source.type` (`BLOODBANK_SOURCE_TYPE`).
    var sourceType: String
    /// `source.app` (`BLOODBANK_SOURCE_APP`).
    var sourceApp: String

    /// Loads the settings; any problem becomes a ``CommandFailure`` naming the variable.
    static func load() throws -> ClientSettings {
        do {
            let settings = try Settings.load()
            return ClientSettings(
                rabbitMQURL: settings.string(.rabbitMQURL),
                exchange: settings.string(.bloodbankExchange),
                apiBaseURL: try settings.apiBaseURL(),
                apiToken: settings.optionalString(.apiToken),
                sourceHost: settings.optionalString(.sourceHost) ?? ProcessInfo.processInfo.hostName,
                sourceType: settings.string(.sourceType),
                sourceApp: settings.string(.sourceApp))
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// A command failed in a way the user can act on; printed without a stack of wrappers, exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
