import AMQPClient
import Testing

@Suite struct AMQPConfigurationTests {
    @Test func fullURL() throws {
        let configuration = try AMQPConfiguration(url: "amqp://candystore:candystore@127.0.0.1:5675/%2F")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 5675)
        #expect(configuration.username == "candystore")
        #expect(configuration.password == "candystore")
        #expect(configuration.virtualHost == "/")
    }

    @Test func defaults() throws {
        let configuration = try AMQPConfiguration(url: "amqp://broker")
        #expect(configuration.host == "broker")
        #expect(configuration.port == 5672)
        #expect(configuration.username == "guest")
        #expect(configuration.password == "guest")
        #expect(configuration.virtualHost == "/")
        #expect(configuration.heartbeat == .seconds(30))
        #expect(configuration.frameMax == 131_072)
        #expect(configuration.connectTimeout == .seconds(10))
    }

    @Test func percentEncodedCredentialsAndVhost() throws {
        let configuration = try AMQPConfiguration(url: "amqp://us%40er:p%3Ass%2Fw@h:1/my%2Fvhost")
        #expect(configuration.username == "us@er")
        #expect(configuration.password == "p:ss/w")
        #expect(configuration.virtualHost == "my/vhost")
    }

    @Test func queryParameters() throws {
        let configuration = try AMQPConfiguration(
            url: "amqp://h/?heartbeat=5&frame_max=65536&channel_max=10&connection_timeout=2500&connection_name=svc"
        )
        #expect(configuration.heartbeat == .seconds(5))
        #expect(configuration.frameMax == 65_536)
        #expect(configuration.channelMax == 10)
        #expect(configuration.connectTimeout == .milliseconds(2500))
        #expect(configuration.connectionName == "svc")
        #expect(configuration.publishConfirmTimeout == .seconds(30))
    }

    @Test func confirmTimeoutParameter() throws {
        #expect(
            try AMQPConfiguration(url: "amqp://h/?confirm_timeout=1500").publishConfirmTimeout == .milliseconds(1500))
        #expect(try AMQPConfiguration(url: "amqp://h/?confirm_timeout=0").publishConfirmTimeout == nil)
        #expect(throws: AMQPError.self) { try AMQPConfiguration(url: "amqp://h/?confirm_timeout=-1") }
    }

    @Test func ipv6Host() throws {
        let configuration = try AMQPConfiguration(url: "amqp://[::1]:5673/v")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 5673)
        #expect(configuration.virtualHost == "v")
    }

    @Test(arguments: ["amqps://h", "http://h", "h:5672", "amqp://h:99999", "amqp://h/%zz", "amqp://h?frame_max=10"])
    func invalidURLs(_ url: String) {
        let error = #expect(throws: AMQPError.self) { try AMQPConfiguration(url: url) }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test func errorsReportRecoverability() {
        let forced = AMQPError(code: .connectionClosedByBroker, message: "x", replyCode: 320)
        let precondition = AMQPError(code: .channelClosedByBroker, message: "x", replyCode: 406)
        let accessRefused = AMQPError(code: .connectionClosedByBroker, message: "x", replyCode: 530)
        #expect(forced.isRecoverable)
        #expect(forced.isConnectionError)
        #expect(!precondition.isRecoverable)
        #expect(!precondition.isConnectionError)
        #expect(!accessRefused.isRecoverable)
        #expect(AMQPError(code: .publishUnconfirmed, message: "x").isRecoverable)
    }
}
