import Testing

@testable import AMQPClient

@Suite struct ConnectionStateMachineTests {
    static let parameters = ConnectionStateMachine.Parameters(
        username: "user",
        password: "pass",
        virtualHost: "/",
        clientProperties: ["connection_name": "t"],
        channelMax: 2047,
        frameMax: 131_072,
        heartbeat: 30
    )

    static func start() -> AMQPMethod {
        .connectionStart(
            versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "AMQPLAIN PLAIN", locales: "en_US")
    }

    /// Drives the machine through the handshake and returns the tuning.
    static func open(
        _ machine: inout ConnectionStateMachine,
        channelMax: UInt16 = 0,
        frameMax: UInt32 = 131_072,
        heartbeat: UInt16 = 60
    ) -> ConnectionStateMachine.Tuning? {
        _ = machine.connected()
        _ = machine.methodReceived(start())
        guard
            case .sendTuneOkAndOpen(_, _, let tuning) = machine.methodReceived(
                .connectionTune(channelMax: channelMax, frameMax: frameMax, heartbeat: heartbeat)
            )
        else { return nil }
        guard case .established = machine.methodReceived(.connectionOpenOk) else { return nil }
        return tuning
    }

    @Test func handshakeSendsPlainCredentialsAndNegotiates() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        guard case .sendProtocolHeader = machine.connected() else {
            Issue.record("no protocol header")
            return
        }
        guard case .sendStartOk(let startOk) = machine.methodReceived(Self.start()) else {
            Issue.record("no start-ok")
            return
        }
        #expect(
            startOk
                == .connectionStartOk(
                    clientProperties: ["connection_name": "t"],
                    mechanism: "PLAIN",
                    response: "\u{0}user\u{0}pass",
                    locale: "en_US"
                )
        )
        let action = machine.methodReceived(.connectionTune(channelMax: 0, frameMax: 1_048_576, heartbeat: 60))
        guard case .sendTuneOkAndOpen(let tuneOk, let open, let tuning) = action else {
            Issue.record("no tune-ok")
            return
        }
        // Server 0 = no limit → ours; otherwise the lower value wins.
        #expect(tuneOk == .connectionTuneOk(channelMax: 2047, frameMax: 131_072, heartbeat: 30))
        #expect(open == .connectionOpen(virtualHost: "/"))
        #expect(tuning == .init(channelMax: 2047, frameMax: 131_072, heartbeat: 30))
        guard case .established(let established) = machine.methodReceived(.connectionOpenOk) else {
            Issue.record("not established")
            return
        }
        #expect(established == tuning)
        #expect(machine.isOpen)
    }

    @Test func heartbeatZeroDisables() {
        var parameters = Self.parameters
        parameters.heartbeat = 0
        var machine = ConnectionStateMachine(parameters: parameters)
        #expect(Self.open(&machine, heartbeat: 60)?.heartbeat == 0)
    }

    @Test func negotiationRules() {
        #expect(ConnectionStateMachine.negotiate(UInt16(0), UInt16(10)) == 10)
        #expect(ConnectionStateMachine.negotiate(UInt16(20), UInt16(0)) == 20)
        #expect(ConnectionStateMachine.negotiate(UInt32(131_072), UInt32(4096)) == 4096)
    }

    @Test func brokerWithoutPlainIsRejected() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = machine.connected()
        let action = machine.methodReceived(
            .connectionStart(
                versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "EXTERNAL", locales: "")
        )
        guard case .closeSocket(let error) = action else {
            Issue.record("expected close")
            return
        }
        #expect(error?.code == .unsupported)
    }

    @Test func accessRefusedDuringHandshakeIsAuthenticationFailure() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = machine.connected()
        _ = machine.methodReceived(Self.start())
        let action = machine.methodReceived(
            .connectionClose(.init(replyCode: 403, replyText: "ACCESS_REFUSED", classID: 0, methodID: 0))
        )
        guard case .sendCloseOkAndClose(let error) = action else {
            Issue.record("expected close-ok")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.replyCode == 403)
    }

    @Test func brokerCloseIsAnsweredAndCarriesReplyCode() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = Self.open(&machine)
        let action = machine.methodReceived(
            .connectionClose(.init(replyCode: 320, replyText: "CONNECTION_FORCED", classID: 0, methodID: 0))
        )
        guard case .sendCloseOkAndClose(let error) = action else {
            Issue.record("expected close-ok")
            return
        }
        #expect(error.code == .connectionClosedByBroker)
        #expect(error.replyCode == 320)
        #expect(error.isRecoverable)
        // Everything after the close is ignored.
        guard case .none = machine.methodReceived(.connectionOpenOk) else {
            Issue.record("not ignored")
            return
        }
    }

    @Test func clientCloseHandshake() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = Self.open(&machine)
        guard case .sendClose(let close) = machine.closeRequested(replyCode: 200, replyText: "bye", error: nil) else {
            Issue.record("expected close")
            return
        }
        #expect(close == .connectionClose(.init(replyCode: 200, replyText: "bye", classID: 0, methodID: 0)))
        // Frames still arriving for channels are discarded until close-ok.
        guard case .none = machine.methodReceived(.connectionBlocked(reason: "x")) else {
            Issue.record()
            return
        }
        guard case .closeSocket(let error) = machine.methodReceived(.connectionCloseOk) else {
            Issue.record("expected socket close")
            return
        }
        #expect(error == nil)
    }

    @Test func heartbeatPolicySendsWhenIdleAndGivesUpAfterTwoSilentIntervals() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = Self.open(&machine)
        // We wrote something since the last tick: no heartbeat needed.
        guard case .none = machine.heartbeatTick(receivedSinceLastTick: true, sentSinceLastTick: true) else {
            Issue.record()
            return
        }
        guard case .sendHeartbeat = machine.heartbeatTick(receivedSinceLastTick: true, sentSinceLastTick: false) else {
            Issue.record("expected heartbeat")
            return
        }
        // Ticks are half intervals: three silent ticks are tolerated, the fourth (two intervals) closes.
        for _ in 0..<3 {
            guard case .sendHeartbeat = machine.heartbeatTick(receivedSinceLastTick: false, sentSinceLastTick: false)
            else {
                Issue.record("expected heartbeat")
                return
            }
        }
        guard
            case .closeSocket(let error) = machine.heartbeatTick(receivedSinceLastTick: false, sentSinceLastTick: false)
        else {
            Issue.record("expected close")
            return
        }
        #expect(error?.code == .heartbeatTimeout)
        #expect(error?.isRecoverable == true)
    }

    @Test func inboundTrafficResetsTheSilenceCounter() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = Self.open(&machine)
        for round in 0..<10 {
            let received = round % 3 == 2
            if case .closeSocket = machine.heartbeatTick(receivedSinceLastTick: received, sentSinceLastTick: true) {
                Issue.record("closed although the broker talked every third tick")
            }
        }
    }

    @Test func unexpectedMethodIsAConnectionError() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = Self.open(&machine)
        guard case .sendClose(let close) = machine.methodReceived(.connectionOpenOk) else {
            Issue.record("expected close")
            return
        }
        guard case .connectionClose(let reason) = close else {
            Issue.record()
            return
        }
        #expect(reason.replyCode == 503)
    }

    @Test func blockedAndUnblockedAreReported() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = Self.open(&machine)
        guard case .blocked(let reason) = machine.methodReceived(.connectionBlocked(reason: "low on disk")) else {
            Issue.record("expected blocked")
            return
        }
        #expect(reason == "low on disk")
        guard case .unblocked = machine.methodReceived(.connectionUnblocked) else {
            Issue.record("expected unblocked")
            return
        }
        #expect(machine.isOpen)
    }

    @Test func socketLossWhileOpenIsRecoverable() {
        var machine = ConnectionStateMachine(parameters: Self.parameters)
        _ = Self.open(&machine)
        guard case .closeSocket(let error) = machine.channelInactive() else {
            Issue.record()
            return
        }
        #expect(error?.code == .connectionClosed)
        #expect(error?.isRecoverable == true)
    }
}
