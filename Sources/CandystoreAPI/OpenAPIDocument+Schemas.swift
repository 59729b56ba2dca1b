import BloodbankModel

extension OpenAPIDocument {
    /// JSON Schemas of the response bodies the handlers produce (`EventStoreQueries` builds those bodies), by
    /// component name. The event payload schemas are not here: they come from the catalogue
    /// (``payloadSchemas``).
    static let bodySchemas: [(name: String, schema: JSONValue)] = [
        (
            "Error",
            [
                "type": "object",
                "required": ["error"],
                "properties": [
                    "error": [
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": [
                            "code": [
                                "type": "string",
                                "description":
                                    "invalid_parameter, invalid_range, not_found, unauthorized, method_not_allowed, database_unavailable, internal_error",
                            ],
                            "message": [
                                "type": "string"
                            ],
                        ],
                    ]
                ],
            ]
        ),
        (
            "Event",
            [
                "type": "object",
                "description": "The canonical Bloodbank envelope (keys in this order) plus `position`.",
                "required": [
                    "event_id", "event_type", "timestamp", "version", "source", "correlation_ids", "agent_context",
                    "payload", "position",
                ],
                "properties": [
                    "event_id": [
                        "type": "string",
                        "format": "uuid",
                    ],
                    "event_type": [
                        "type": "string",
                        "pattern": "^[a-z0-9]+(\\.[a-z0-9_-]+)+$",
                    ],
                    "timestamp": [
                        "type": "string",
                        "description": "UTC, 6 fraction digits: 2026-01-11T14:30:00.123456Z",
                    ],
                    "version": [
                        "type": "string"
                    ],
                    "source": [
                        "type": "object",
                        "properties": [
                            "host": [
                                "type": "string"
                            ],
                            "type": [
                                "type": "string"
                            ],
                            "app": [
                                "type": ["string", "null"]
                            ],
                            "meta": [
                                "type": ["object", "null"]
                            ],
                        ],
                    ],
                    "correlation_ids": [
                        "type": "array",
                        "items": [
                            "type": "string",
                            "format": "uuid",
                        ],
                        "description": "Parent event ids.",
                    ],
                    "agent_context": [
                        "type": ["object", "null"]
                    ],
                    "payload": [
                        "type": "object",
                        "description":
                            "The event's payload; for a catalogued event type it has that type's schema (`<event_type>.payload`, from the event catalogue).",
                    ],
                    "position": [
                        "type": "integer",
                        "description": "Gapless commit-order position; the value for after=.",
                    ],
                ],
            ]
        ),
        (
            "CausationTree",
            [
                "type": "object",
                "required": ["event", "depth"],
                "properties": [
                    "event": [
                        "$ref": "#/components/schemas/Event"
                    ],
                    "depth": [
                        "type": "integer"
                    ],
                    "children": [
                        "type": "array",
                        "items": [
                            "$ref": "#/components/schemas/CausationTree"
                        ],
                        "description": "descendants walk",
                    ],
                    "parents": [
                        "type": "array",
                        "items": [
                            "$ref": "#/components/schemas/CausationTree"
                        ],
                        "description": "ancestors walk",
                    ],
                    "truncated": [
                        "type": "boolean",
                        "description": "Root only: the node cap was hit.",
                    ],
                ],
            ]
        ),
        (
            "CausationFlat",
            [
                "type": "object",
                "required": ["root_event", "truncated"],
                "properties": [
                    "root_event": [
                        "$ref": "#/components/schemas/Event"
                    ],
                    "descendants": [
                        "type": "array",
                        "items": [
                            "$ref": "#/components/schemas/CausationFlatNode"
                        ],
                    ],
                    "total_descendants": [
                        "type": "integer"
                    ],
                    "ancestors": [
                        "type": "array",
                        "items": [
                            "$ref": "#/components/schemas/CausationFlatNode"
                        ],
                    ],
                    "total_ancestors": [
                        "type": "integer"
                    ],
                    "truncated": [
                        "type": "boolean"
                    ],
                ],
            ]
        ),
        (
            "CausationFlatNode",
            [
                "type": "object",
                "required": ["event", "depth", "path"],
                "properties": [
                    "event": [
                        "$ref": "#/components/schemas/Event"
                    ],
                    "depth": [
                        "type": "integer"
                    ],
                    "path": [
                        "type": "array",
                        "items": [
                            "type": "string",
                            "format": "uuid",
                        ],
                        "description": "Event ids from the root to this event.",
                    ],
                ],
            ]
        ),
        (
            "CausationGraph",
            [
                "type": "object",
                "required": ["root_event_id", "nodes", "edges", "truncated"],
                "properties": [
                    "root_event_id": [
                        "type": "string",
                        "format": "uuid",
                    ],
                    "nodes": [
                        "type": "array",
                        "items": [
                            "type": "object",
                            "properties": [
                                "id": [
                                    "type": "string",
                                    "format": "uuid",
                                ],
                                "depth": [
                                    "type": "integer"
                                ],
                                "event": [
                                    "$ref": "#/components/schemas/Event"
                                ],
                            ],
                        ],
                    ],
                    "edges": [
                        "type": "array",
                        "items": [
                            "type": "object",
                            "properties": [
                                "from": [
                                    "type": "string",
                                    "format": "uuid",
                                ],
                                "to": [
                                    "type": "string",
                                    "format": "uuid",
                                ],
                            ],
                            "description": "Parent (cause) → child (effect).",
                        ],
                    ],
                    "truncated": [
                        "type": "boolean"
                    ],
                ],
            ]
        ),
        (
            "Workflow",
            [
                "type": "object",
                "properties": [
                    "workflow_id": [
                        "type": "string",
                        "format": "uuid",
                    ],
                    "project_name": [
                        "type": "string"
                    ],
                    "current_phase": [
                        "type": "string"
                    ],
                    "current_agent": [
                        "type": ["string", "null"]
                    ],
                    "status": [
                        "type": "string"
                    ],
                    "started_at": [
                        "type": "string"
                    ],
                    "updated_at": [
                        "type": "string"
                    ],
                    "completed_at": [
                        "type": ["string", "null"]
                    ],
                    "metadata": [
                        "type": "object"
                    ],
                    "phase_history": [
                        "type": "array",
                        "items": [
                            "type": "object"
                        ],
                    ],
                    "agent_handoffs": [
                        "type": "array",
                        "items": [
                            "type": "object"
                        ],
                    ],
                    "correlation_ids": [
                        "type": "array",
                        "items": [
                            "type": "string",
                            "format": "uuid",
                        ],
                    ],
                    "version": [
                        "type": "integer"
                    ],
                ],
            ]
        ),
        (
            "Timeline",
            [
                "type": "object",
                "required": ["workflow_id", "timeline"],
                "properties": [
                    "workflow_id": [
                        "type": "string",
                        "format": "uuid",
                    ],
                    "timeline": [
                        "type": "array",
                        "items": [
                            "type": "object",
                            "properties": [
                                "timestamp": [
                                    "type": "string"
                                ],
                                "event_type": [
                                    "type": "string"
                                ],
                                "event_id": [
                                    "type": "string",
                                    "format": "uuid",
                                ],
                                "agent": [
                                    "type": ["string", "null"]
                                ],
                                "summary": [
                                    "type": "string"
                                ],
                                "position": [
                                    "type": "integer"
                                ],
                            ],
                        ],
                    ],
                ],
            ]
        ),
        (
            "Session",
            [
                "type": "object",
                "properties": [
                    "session_id": [
                        "type": "string"
                    ],
                    "session_uuid": [
                        "type": "string",
                        "format": "uuid",
                    ],
                    "agent_type": [
                        "type": "string"
                    ],
                    "agent_instance_id": [
                        "type": ["string", "null"]
                    ],
                    "checkpoint_id": [
                        "type": ["string", "null"]
                    ],
                    "workflow_id": [
                        "type": ["string", "null"]
                    ],
                    "status": [
                        "type": "string"
                    ],
                    "started_at": [
                        "type": "string"
                    ],
                    "last_active_at": [
                        "type": "string"
                    ],
                    "completed_at": [
                        "type": ["string", "null"]
                    ],
                    "metadata": [:],
                ],
            ]
        ),
        (
            "Health",
            [
                "type": "object",
                "description":
                    "The health shape every Candystore role answers (docs/operations.md); degraded is a 503.",
                "required": ["role", "status", "components", "details"],
                "properties": [
                    "role": [
                        "type": "string",
                        "enum": ["api"],
                    ],
                    "status": [
                        "type": "string",
                        "enum": ["ok", "degraded"],
                    ],
                    "components": [
                        "type": "object",
                        "additionalProperties": [
                            "type": "object",
                            "required": ["status", "detail", "latency_ms"],
                            "properties": [
                                "status": [
                                    "type": "string",
                                    "enum": ["ok", "down"],
                                ],
                                "detail": [
                                    "type": "string"
                                ],
                                "latency_ms": [
                                    "type": "integer"
                                ],
                            ],
                        ],
                    ],
                    "details": [
                        "type": "object",
                        "properties": [
                            "stream": [
                                "type": "object",
                                "properties": [
                                    "redis_live": [
                                        "type": "boolean"
                                    ],
                                    "clients": [
                                        "type": "integer"
                                    ],
                                ],
                            ]
                        ],
                    ],
                ],
            ]
        ),
    ]
}
