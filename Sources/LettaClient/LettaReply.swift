import Foundation

/// The outcome of one user message: the agent's answer, every message of the turn, and token usage.
///
/// A Letta agent "answers" by calling its `send_message` tool; Letta reports that call as an
/// `assistant_message`. ``text`` joins those, which is what a caller usually wants; ``messages`` keeps the
/// whole turn (reasoning, tool calls and returns) for logs and checkpoints.
public struct LettaReply: Sendable, Hashable {
    /// The assistant messages of the turn, joined by a blank line.
    public var text: String
    /// Every message Letta returned for the turn, in order.
    public var messages: [LettaMessage]
    /// Why the turn ended (`end_turn`, `max_steps`, `error`, ...), when Letta says.
    public var stopReason: String?
    /// Token usage of the turn.
    public var usage: LettaUsage

    /// The texts of the assistant messages, one per `send_message` call.
    public var assistantTexts: [String] {
        messages.filter { $0.messageType == LettaMessage.assistantMessageType }.compactMap(\.text)
    }
}

/// One message of a Letta turn (`LettaMessage` union), flattened to the fields callers read.
public struct LettaMessage: Sendable, Hashable, Decodable {
    /// The `message_type` Letta uses for the agent's answers (`send_message` calls).
    public static let assistantMessageType = "assistant_message"

    /// Message id, `message-<uuid>`.
    public var id: String?
    /// `assistant_message`, `reasoning_message`, `tool_call_message`, `tool_return_message`, `user_message`, ...
    public var messageType: String
    /// When Letta created it (ISO 8601).
    public var date: String?
    /// The text: `content` for assistant, user and system messages; `reasoning` for reasoning messages.
    public var text: String?
    /// The called tool, for tool call messages.
    public var toolName: String?
    /// The tool's JSON arguments as text, for tool call messages.
    public var toolArguments: String?
    /// The tool's result, for tool return messages.
    public var toolReturn: String?
    /// `success` or `error`, for tool return messages.
    public var status: String?

    private enum CodingKeys: String, CodingKey {
        case id, date, content, reasoning, status
        case messageType = "message_type"
        case toolCall = "tool_call"
        case toolReturn = "tool_return"
    }

    private struct ToolCall: Decodable {
        var name: String?
        var arguments: String?
    }

    /// Decodes any member of Letta's message union; unknown types keep only their type and id.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        messageType = try container.decodeIfPresent(String.self, forKey: .messageType) ?? "unknown"
        date = try container.decodeIfPresent(String.self, forKey: .date)
        let content = try container.decodeIfPresent(LettaJSON.self, forKey: .content)
        text = content.flatMap(Self.text(of:))
        if text == nil {
            text = try container.decodeIfPresent(String.self, forKey: .reasoning)
        }
        let toolCall = try? container.decodeIfPresent(ToolCall.self, forKey: .toolCall)
        toolName = toolCall?.name
        toolArguments = toolCall?.arguments
        toolReturn = try container.decodeIfPresent(LettaJSON.self, forKey: .toolReturn).flatMap(Self.text(of:))
        status = try container.decodeIfPresent(String.self, forKey: .status)
    }

    /// Creates a message; for tests and fakes.
    public init(
        id: String? = nil,
        messageType: String,
        date: String? = nil,
        text: String? = nil,
        toolName: String? = nil,
        toolArguments: String? = nil,
        toolReturn: String? = nil,
        status: String? = nil
    ) {
        self.id = id
        self.messageType = messageType
        self.date = date
        self.text = text
        self.toolName = toolName
        self.toolArguments = toolArguments
        self.toolReturn = toolReturn
        self.status = status
    }

    /// Letta's `content` is a string or a list of parts (`{"type": "text", "text": ...}`).
    static func text(of content: LettaJSON) -> String? {
        switch content {
        case .string(let text):
            return text
        case .array(let parts):
            let texts = parts.compactMap { part -> String? in
                if case .object(let object) = part { return object["text"]?.stringValue }
                return part.stringValue
            }
            return texts.isEmpty ? nil : texts.joined()
        default:
            return nil
        }
    }
}

/// Token usage of a turn (`usage_statistics`).
public struct LettaUsage: Sendable, Hashable, Decodable {
    /// Tokens the model produced.
    public var completionTokens: Int
    /// Tokens sent to the model (system prompt, memory, history, message), summed over the turn's steps.
    public var promptTokens: Int
    /// The sum of both.
    public var totalTokens: Int
    /// Model calls (steps) in the turn.
    public var stepCount: Int

    /// Creates a usage record; for tests and fakes.
    public init(completionTokens: Int = 0, promptTokens: Int = 0, totalTokens: Int = 0, stepCount: Int = 0) {
        self.completionTokens = completionTokens
        self.promptTokens = promptTokens
        self.totalTokens = totalTokens
        self.stepCount = stepCount
    }

    private enum CodingKeys: String, CodingKey {
        case completionTokens = "completion_tokens"
        case promptTokens = "prompt_tokens"
        case totalTokens = "total_tokens"
        case stepCount = "step_count"
    }

    /// Decodes Letta's usage; absent counters are zero.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        completionTokens = try container.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0
        promptTokens = try container.decodeIfPresent(Int.self, forKey: .promptTokens) ?? 0
        totalTokens = try container.decodeIfPresent(Int.self, forKey: .totalTokens) ?? 0
        stepCount = try container.decodeIfPresent(Int.self, forKey: .stepCount) ?? 0
    }
}

/// The wire shape of `POST /v1/agents/{id}/messages` (`LettaResponse`).
struct LettaResponseBody: Decodable {
    var messages: [LettaMessage]
    var stopReason: String?
    var usage: LettaUsage?

    private enum CodingKeys: String, CodingKey {
        case messages, usage
        case stopReason = "stop_reason"
    }

    private struct StopReason: Decodable {
        var stopReason: String?

        private enum CodingKeys: String, CodingKey {
            case stopReason = "stop_reason"
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messages = try container.decodeIfPresent([LettaMessage].self, forKey: .messages) ?? []
        usage = try container.decodeIfPresent(LettaUsage.self, forKey: .usage)
        // 0.11.x sends {"message_type": "stop_reason", "stop_reason": "end_turn"}; accept a bare string too.
        if let text = try? container.decodeIfPresent(String.self, forKey: .stopReason) {
            stopReason = text
        } else {
            stopReason = try? container.decodeIfPresent(StopReason.self, forKey: .stopReason)?.stopReason
        }
    }

    /// The reply, or `noReply` when the turn produced no assistant message.
    func reply(request: String) throws(LettaClientError) -> LettaReply {
        var reply = LettaReply(text: "", messages: messages, stopReason: stopReason, usage: usage ?? LettaUsage())
        let texts = reply.assistantTexts
        guard !texts.isEmpty else {
            let types = messages.map(\.messageType).joined(separator: ", ")
            throw LettaClientError(
                code: .noReply,
                message: "the agent's turn ended (stop reason \(stopReason ?? "unknown")) without an assistant "
                    + "message; messages: [\(types)]",
                request: request
            )
        }
        reply.text = texts.joined(separator: "\n\n")
        return reply
    }
}
