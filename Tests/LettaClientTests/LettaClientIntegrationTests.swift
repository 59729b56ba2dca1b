import CandystoreApp
import CandystoreConfig
import Foundation
import Testing

@testable import LettaClient

/// Against the real Letta server of the local stack (`scripts/letta start`: Letta 0.11.7 + the model stub).
/// LETTA_SERVER_URL (default http://127.0.0.1:8283) and the LETTA_MODEL* / LETTA_EMBEDDING_* variables select
/// another server or model. These tests fail, never skip, when the server is down.
@Suite(.serialized) struct LettaClientIntegrationTests {
    let letta: LettaClient

    init() throws {
        // The same settings and builder as the bridge (CandystoreApp), so LETTA_* in .env select the server.
        letta = LettaClient(configuration: try LettaClient.Configuration(settings: try Settings.load()))
    }

    /// A unique tag per test run, so concurrent runs and leftovers never match.
    private static func uniqueTag() -> String { "candystore-test:\(UUID().uuidString.lowercased())" }

    /// Creates an agent for the test and deletes it afterwards, whatever the test did.
    private func withAgent(
        task: String,
        _ body: (LettaAgent, String) async throws -> Void
    ) async throws {
        let tag = Self.uniqueTag()
        let agent = try await letta.createAgent(
            name: "candystore-test-\(UUID().uuidString.prefix(8))",
            tags: [tag, "candystore-test"],
            memoryBlocks: [
                LettaMemoryBlockCreate(label: "task", value: task, limit: 5000),
                LettaMemoryBlockCreate(label: "persona", value: "A Candystore test agent."),
            ],
            description: "LettaClientIntegrationTests"
        )
        do {
            try await body(agent, tag)
        } catch {
            try? await letta.deleteAgent(id: agent.id)
            throw error
        }
        try? await letta.deleteAgent(id: agent.id)
    }

    @Test func healthAnswers() async throws {
        let health = try await letta.health()
        #expect(health.status == "ok")
        #expect(!health.version.isEmpty)
    }

    @Test func agentLifecycle() async throws {
        let task = "Design the event schema for workflow \(UUID().uuidString.lowercased())"
        try await withAgent(task: task) { created, tag in
            #expect(created.id.hasPrefix("agent-"))
            #expect(Set(created.tags) == [tag, "candystore-test"])
            #expect(created.llmConfig?.model == letta.configuration.defaultLLMConfig.model)
            #expect(created.embeddingConfig?.embeddingDim == letta.configuration.defaultEmbeddingConfig.embeddingDim)
            #expect(created.memoryBlock(labeled: "task")?.value == task)

            // Found by its tags (all of them), and not by a tag set it does not have.
            let byTags = try await letta.listAgents(tags: [tag, "candystore-test"], matchAllTags: true)
            #expect(byTags.map(\.id) == [created.id])
            let none = try await letta.listAgents(tags: [tag, "no-such-tag-\(UUID().uuidString)"], matchAllTags: true)
            #expect(none.isEmpty)
            let byName = try await letta.listAgents(tags: [tag], name: created.name)
            #expect(byName.map(\.id) == [created.id])

            let fetched = try await letta.agent(id: created.id)
            #expect(fetched.id == created.id)
            #expect(fetched.name == created.name)

            let blocks = try await letta.memoryBlocks(agentID: created.id)
            let taskBlock = try #require(blocks.first { $0.label == "task" })
            #expect(taskBlock.value == task)
            #expect(taskBlock.limit == 5000)
            #expect(blocks.contains { $0.label == "persona" })

            // The stub model answers through send_message with a reply that names the task.
            let reply = try await letta.sendMessage(agentID: created.id, text: "Start now: \(task)")
            #expect(reply.text.contains(task))
            #expect(reply.text.hasPrefix("Task accepted by the stub model"))
            #expect(reply.stopReason == "end_turn")
            #expect(reply.usage.totalTokens > 0)
            #expect(reply.usage.stepCount >= 1)

            try await letta.deleteAgent(id: created.id)
            let gone = await #expect(throws: LettaClientError.self) { try await letta.agent(id: created.id) }
            #expect(gone?.code == .notFound)
            let twice = await #expect(throws: LettaClientError.self) { try await letta.deleteAgent(id: created.id) }
            #expect(twice?.code == .notFound)
        }
    }

    @Test func unknownAgentIs404WithLettasMessage() async throws {
        let id = "agent-\(UUID().uuidString.lowercased())"
        let error = await #expect(throws: LettaClientError.self) { try await letta.agent(id: id) }
        #expect(error?.code == .notFound)
        #expect(error?.httpStatus == 404)
        #expect(error?.message.contains(id) == true)
        #expect(error?.message.contains("not found") == true)
        #expect(error?.isRetryable == false)
    }

    @Test func malformedAgentIDIsBadRequest() async throws {
        let error = await #expect(throws: LettaClientError.self) { try await letta.agent(id: "not-an-agent-id") }
        #expect(error?.code == .badRequest)
        #expect(error?.httpStatus == 400)
        #expect(error?.message.contains("not-an-agent-id") == true)
    }

    @Test func validationErrorListIsFlattened() async throws {
        // A block value over its limit: Letta answers 422 with a list of validation errors.
        let error = await #expect(throws: LettaClientError.self) {
            try await letta.createAgent(
                name: "candystore-test-invalid",
                tags: [Self.uniqueTag()],
                memoryBlocks: [LettaMemoryBlockCreate(label: "task", value: "0123456789", limit: 5)]
            )
        }
        #expect(error?.code == .badRequest)
        #expect(error?.httpStatus == 422)
        let first = try #require(error?.details.first)
        #expect(first.hasPrefix("body.memory_blocks.0: "))
        #expect(first.contains("Exceeds 5 character limit"))
    }

    @Test func modelFailureIsARetryableServerError() async throws {
        // FAIL_MODEL makes the model stub answer 500; Letta retries, then answers 500 itself.
        try await withAgent(task: "A task that the model cannot do") { agent, _ in
            let error = await #expect(throws: LettaClientError.self) {
                try await letta.sendMessage(agentID: agent.id, text: "FAIL_MODEL: please fail")
            }
            #expect(error?.code == .serverError)
            #expect(error?.httpStatus == 500)
            #expect(error?.isRetryable == true)
            #expect(error?.message.isEmpty == false)

            // Letta drops the connection after that 500; the next calls still work (fresh connections), and
            // so does the agent.
            #expect(try await letta.agent(id: agent.id).id == agent.id)
            let reply = try await letta.sendMessage(agentID: agent.id, text: "Try again")
            #expect(reply.text.contains("Try again"))
        }
    }

    @Test func messageTimeoutIsEnforced() async throws {
        try await withAgent(task: "A slow task") { agent, _ in
            var configuration = letta.configuration
            configuration.messageTimeout = .milliseconds(50)
            let impatient = LettaClient(configuration: configuration)
            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: LettaClientError.self) {
                try await impatient.sendMessage(agentID: agent.id, text: "Take your time")
            }
            #expect(error?.code == .timeout)
            #expect(error?.isRetryable == true)
            #expect(clock.now - started < .seconds(5))
        }
    }

    @Test func dedicatedClientShutsDownCleanly() async throws {
        let version = try await LettaClient.withClient(configuration: letta.configuration) { client in
            try await client.health().version
        }
        #expect(!version.isEmpty)
    }
}
