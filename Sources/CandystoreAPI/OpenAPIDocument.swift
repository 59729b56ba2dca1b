import BloodbankModel

/// The hand-written OpenAPI 3.1 description of every endpoint, served at `/openapi.json`.
///
/// Kept as one literal so the document ships inside the binary; `OpenAPIDocumentTests` checks that it
/// parses and lists every route the router registers, and `scripts/test contract` checks the running server
/// against it with schemathesis.
enum OpenAPIDocument {
    /// The document as served: with the bearer requirement when `API_TOKEN` is set, without any security
    /// requirement when it is not (so clients and contract tests see what the server really enforces).
    static func served(requiresToken: Bool) -> [UInt8] {
        guard !requiresToken else { return Array(json.utf8) }
        // The literal is valid JSON (a unit test parses it), so this cannot fail.
        guard case .object(var document)? = try? JSONValue(parsing: json) else { return Array(json.utf8) }
        document["security"] = nil
        return JSONValue.object(document).encodedBytes()
    }

    /// The path templates the document describes (`/api/v1/events/{event_id}`, …), in document order.
    static let paths: [String] = {
        guard case .object(let document)? = try? JSONValue(parsing: json) else { return [] }
        return document["paths"]?.objectValue?.keys ?? []
    }()

    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Candystore Event Store API",
            "version": "1.0.0",
            "description": "Queries over stored Bloodbank events, causation chains, workflow and session projections, and a live WebSocket stream. Every event carries its gapless commit-order `position`, the value for `after=`. Errors are `{\"error\":{\"code\",\"message\"}}`. Query parameters not listed for an operation are ignored. When the server runs without API_TOKEN, the served document declares no security requirement."
          },
          "servers": [
            {
              "url": "/",
              "description": "The server that serves this document."
            }
          ],
          "security": [
            {
              "bearer": []
            }
          ],
          "paths": {
            "/api/v1/events": {
              "get": {
                "operationId": "listEvents",
                "summary": "List events (bare JSON array).",
                "parameters": [
                  {
                    "name": "workflow_id",
                    "in": "query",
                    "description": "Events of this workflow (payload workflow_id or inherited from a parent).",
                    "schema": {
                      "type": "string",
                      "format": "uuid"
                    }
                  },
                  {
                    "name": "correlation_id",
                    "in": "query",
                    "description": "Events that name this event id as a parent.",
                    "schema": {
                      "type": "string",
                      "format": "uuid"
                    }
                  },
                  {
                    "name": "event_type",
                    "in": "query",
                    "description": "Comma-separated patterns (at most 50, no spaces): lowercase letters, digits, `.`, `_`, `-`, and `*` matching any run of characters (`bmad.workflow.*`). Empty = no filter.",
                    "schema": {
                      "type": "string",
                      "pattern": "^([a-z0-9._*-]{1,255}(,[a-z0-9._*-]{1,255}){0,49})?$"
                    }
                  },
                  {
                    "name": "start_time",
                    "in": "query",
                    "description": "Inclusive lower bound on timestamp (ISO 8601; naive = UTC). Alias: since.",
                    "schema": {
                      "type": "string",
                      "format": "date-time"
                    }
                  },
                  {
                    "name": "since",
                    "in": "query",
                    "description": "Alias of start_time.",
                    "schema": {
                      "type": "string",
                      "format": "date-time"
                    }
                  },
                  {
                    "name": "end_time",
                    "in": "query",
                    "description": "Exclusive upper bound on timestamp. Alias: until.",
                    "schema": {
                      "type": "string",
                      "format": "date-time"
                    }
                  },
                  {
                    "name": "until",
                    "in": "query",
                    "description": "Alias of end_time.",
                    "schema": {
                      "type": "string",
                      "format": "date-time"
                    }
                  },
                  {
                    "name": "agent",
                    "in": "query",
                    "description": "agent_context.name or agent_context.instance_id.",
                    "schema": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 255,
                      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
                    }
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "description": "Page size (default 100, max 1000; above 1000 is a 400).",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 1000,
                      "default": 100
                    }
                  },
                  {
                    "name": "offset",
                    "in": "query",
                    "description": "Rows to skip.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "default": 0,
                      "maximum": 1000000000
                    }
                  },
                  {
                    "name": "after",
                    "in": "query",
                    "description": "Cursor: events after this position (before it with order=desc).",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 9223372036854775807,
                      "format": "int64"
                    }
                  },
                  {
                    "name": "order",
                    "in": "query",
                    "description": "Order by position.",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "asc",
                        "desc"
                      ],
                      "default": "asc"
                    }
                  },
                  {
                    "name": "count",
                    "in": "query",
                    "description": "When true, the response carries `X-Total-Count`: every item matching the filters, ignoring limit, offset and after.",
                    "schema": {
                      "type": "boolean",
                      "default": false
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Events.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/Event"
                          }
                        }
                      }
                    },
                    "headers": {
                      "X-Total-Count": {
                        "description": "Total matching items, ignoring pagination (only with count=true).",
                        "schema": {
                          "type": "integer"
                        }
                      },
                      "Link": {
                        "description": "`<…&after=N>; rel=\"next\"` when the page is full.",
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "422": {
                    "description": "Parameters are well-formed but inconsistent (e.g. end_time before start_time).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/events/{event_id}": {
              "get": {
                "operationId": "getEvent",
                "summary": "One event.",
                "parameters": [
                  {
                    "name": "event_id",
                    "in": "path",
                    "description": "Event id (UUID).",
                    "schema": {
                      "type": "string",
                      "format": "uuid"
                    },
                    "required": true,
                    "example": "5eed0000-0000-4000-8000-000000000001"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The event.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Event"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "Not found.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/events/{event_id}/descendants": {
              "get": {
                "operationId": "getDescendants",
                "summary": "Events caused by this one (recursive over correlation_ids).",
                "parameters": [
                  {
                    "name": "event_id",
                    "in": "path",
                    "description": "Event id (UUID).",
                    "schema": {
                      "type": "string",
                      "format": "uuid"
                    },
                    "required": true,
                    "example": "5eed0000-0000-4000-8000-000000000001"
                  },
                  {
                    "name": "format",
                    "in": "query",
                    "description": "Response shape.",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "tree",
                        "flat",
                        "graph"
                      ],
                      "default": "tree"
                    }
                  },
                  {
                    "name": "max_depth",
                    "in": "query",
                    "description": "Steps to follow (0-100; above 100 is a 400).",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 100,
                      "default": 100
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The descendants walk in the requested format.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "oneOf": [
                            {
                              "$ref": "#/components/schemas/CausationTree"
                            },
                            {
                              "$ref": "#/components/schemas/CausationFlat"
                            },
                            {
                              "$ref": "#/components/schemas/CausationGraph"
                            }
                          ]
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "Not found.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/events/{event_id}/ancestors": {
              "get": {
                "operationId": "getAncestors",
                "summary": "Events that caused this one (the reverse walk; tree nodes use `parents`, flat uses `ancestors`/`total_ancestors`).",
                "parameters": [
                  {
                    "name": "event_id",
                    "in": "path",
                    "description": "Event id (UUID).",
                    "schema": {
                      "type": "string",
                      "format": "uuid"
                    },
                    "required": true,
                    "example": "5eed0000-0000-4000-8000-000000000001"
                  },
                  {
                    "name": "format",
                    "in": "query",
                    "description": "Response shape.",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "tree",
                        "flat",
                        "graph"
                      ],
                      "default": "tree"
                    }
                  },
                  {
                    "name": "max_depth",
                    "in": "query",
                    "description": "Steps to follow (0-100; above 100 is a 400).",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 100,
                      "default": 100
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The ancestors walk in the requested format.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "oneOf": [
                            {
                              "$ref": "#/components/schemas/CausationTree"
                            },
                            {
                              "$ref": "#/components/schemas/CausationFlat"
                            },
                            {
                              "$ref": "#/components/schemas/CausationGraph"
                            }
                          ]
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "Not found.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/events/stream": {
              "get": {
                "operationId": "streamEvents",
                "summary": "WebSocket live stream (upgrade).",
                "description": "Server frames: `{\"type\":\"event\",\"position\":N,\"data\":Event}`, `{\"type\":\"heartbeat\",\"timestamp\":…}` (every API_WS_HEARTBEAT_SECONDS), `{\"type\":\"error\",\"message\":…}`, and `{\"type\":\"subscribed\",\"filters\":…,\"position\":N}` acknowledging a client frame `{\"type\":\"subscribe\",\"filters\":{\"event_type\":…,\"workflow_id\":…}}`. With `after=N` the stream first replays every matching event after N from the store, then continues live with no gap and no duplicate. A client that falls more than API_WS_BUFFER_SIZE events behind gets an error frame and is closed; reconnect with after=<last position>. Browsers may pass the token as `access_token`.",
                "parameters": [
                  {
                    "name": "event_type",
                    "in": "query",
                    "description": "Comma-separated patterns (at most 50, no spaces): lowercase letters, digits, `.`, `_`, `-`, and `*` matching any run of characters (`bmad.workflow.*`). Empty = no filter.",
                    "schema": {
                      "type": "string",
                      "pattern": "^([a-z0-9._*-]{1,255}(,[a-z0-9._*-]{1,255}){0,49})?$"
                    }
                  },
                  {
                    "name": "workflow_id",
                    "in": "query",
                    "description": "Only this workflow's events.",
                    "schema": {
                      "type": "string",
                      "format": "uuid"
                    }
                  },
                  {
                    "name": "after",
                    "in": "query",
                    "description": "Resume after this position.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 9223372036854775807,
                      "format": "int64"
                    }
                  },
                  {
                    "name": "access_token",
                    "in": "query",
                    "description": "API token (alternative to the Authorization header for browsers).",
                    "schema": {
                      "type": "string"
                    }
                  }
                ],
                "responses": {
                  "101": {
                    "description": "Switching protocols to WebSocket."
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "426": {
                    "description": "A plain HTTP request without a WebSocket upgrade (`Upgrade: websocket`).",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/workflows": {
              "get": {
                "operationId": "listWorkflows",
                "summary": "Workflow projections, most recently updated first.",
                "parameters": [
                  {
                    "name": "project",
                    "in": "query",
                    "description": "Project name (alias project_name).",
                    "schema": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 255,
                      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
                    }
                  },
                  {
                    "name": "project_name",
                    "in": "query",
                    "description": "Alias of project.",
                    "schema": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 255,
                      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
                    }
                  },
                  {
                    "name": "phase",
                    "in": "query",
                    "description": "Current phase.",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "analysis",
                        "planning",
                        "solutioning",
                        "implementation"
                      ]
                    }
                  },
                  {
                    "name": "status",
                    "in": "query",
                    "description": "Status.",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "active",
                        "completed",
                        "failed",
                        "cancelled"
                      ]
                    }
                  },
                  {
                    "name": "active",
                    "in": "query",
                    "description": "true = status active; false = any finished status.",
                    "schema": {
                      "type": "boolean"
                    }
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "description": "Page size (default 100, max 1000; above 1000 is a 400).",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 1000,
                      "default": 100
                    }
                  },
                  {
                    "name": "offset",
                    "in": "query",
                    "description": "Rows to skip.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "default": 0,
                      "maximum": 1000000000
                    }
                  },
                  {
                    "name": "count",
                    "in": "query",
                    "description": "When true, the response carries `X-Total-Count`: every item matching the filters, ignoring limit, offset and after.",
                    "schema": {
                      "type": "boolean",
                      "default": false
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Workflows.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/Workflow"
                          }
                        }
                      }
                    },
                    "headers": {
                      "X-Total-Count": {
                        "description": "Total matching items, ignoring pagination (only with count=true).",
                        "schema": {
                          "type": "integer"
                        }
                      },
                      "Link": {
                        "description": "`<…&after=N>; rel=\"next\"` when the page is full.",
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/workflows/{workflow_id}": {
              "get": {
                "operationId": "getWorkflow",
                "summary": "One workflow with phase history and handoffs.",
                "parameters": [
                  {
                    "name": "workflow_id",
                    "in": "path",
                    "description": "Workflow id (UUID).",
                    "schema": {
                      "type": "string",
                      "format": "uuid"
                    },
                    "required": true,
                    "example": "5eed0000-0000-4000-8000-00000000f001"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The workflow.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Workflow"
                        }
                      }
                    },
                    "links": {
                      "GetFirstHandoffSession": {
                        "operationId": "getSession",
                        "parameters": {
                          "session_id": "$response.body#/agent_handoffs/0/session_id"
                        },
                        "description": "The agent session of the workflow's first accepted handoff."
                      },
                      "GetTimeline": {
                        "operationId": "getWorkflowTimeline",
                        "parameters": {
                          "workflow_id": "$response.body#/workflow_id"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "Not found.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/workflows/{workflow_id}/timeline": {
              "get": {
                "operationId": "getWorkflowTimeline",
                "summary": "The workflow's events in commit order, summarised.",
                "parameters": [
                  {
                    "name": "workflow_id",
                    "in": "path",
                    "description": "Workflow id (UUID).",
                    "schema": {
                      "type": "string",
                      "format": "uuid"
                    },
                    "required": true,
                    "example": "5eed0000-0000-4000-8000-00000000f001"
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "description": "Most entries (default 1000, max 10000).",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 10000,
                      "default": 1000
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Timeline.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Timeline"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "Not found.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/sessions/{session_id}": {
              "get": {
                "operationId": "getSession",
                "summary": "One agent session.",
                "parameters": [
                  {
                    "name": "session_id",
                    "in": "path",
                    "description": "Letta agent id `agent-<uuid>`, the bare UUID, or another Letta id (1 to 255 characters, no control characters).",
                    "schema": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 255,
                      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
                    },
                    "required": true,
                    "example": "agent-5eed0000-0000-4000-8000-00000000a001"
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The session.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Session"
                        }
                      }
                    },
                    "links": {
                      "ListSessionEvents": {
                        "operationId": "listSessionEvents",
                        "parameters": {
                          "session_id": "$request.path.session_id"
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "Not found.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/api/v1/sessions/{session_id}/events": {
              "get": {
                "operationId": "listSessionEvents",
                "summary": "Events of one agent session (payload session_id or agent_context.instance_id), oldest first.",
                "parameters": [
                  {
                    "name": "session_id",
                    "in": "path",
                    "description": "Letta agent id `agent-<uuid>`, the bare UUID, or another Letta id (1 to 255 characters, no control characters).",
                    "schema": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 255,
                      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
                    },
                    "required": true,
                    "example": "agent-5eed0000-0000-4000-8000-00000000a001"
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "description": "Page size (default 100, max 1000; above 1000 is a 400).",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 1000,
                      "default": 100
                    }
                  },
                  {
                    "name": "offset",
                    "in": "query",
                    "description": "Rows to skip.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "default": 0,
                      "maximum": 1000000000
                    }
                  },
                  {
                    "name": "after",
                    "in": "query",
                    "description": "Only events after this position.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0,
                      "maximum": 9223372036854775807,
                      "format": "int64"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Events.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/Event"
                          }
                        }
                      }
                    }
                  },
                  "400": {
                    "description": "A parameter is malformed or out of range; the message names the parameter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "The event store (PostgreSQL) is unavailable.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "404": {
                    "description": "Not found.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/health": {
              "get": {
                "operationId": "health",
                "summary": "PostgreSQL, Redis and RabbitMQ health (never requires a token).",
                "security": [],
                "responses": {
                  "200": {
                    "description": "Every component healthy.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Health"
                        }
                      }
                    }
                  },
                  "503": {
                    "description": "At least one component unhealthy.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Health"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/metrics": {
              "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics (request latency histogram per route, stream gauges).",
                "responses": {
                  "200": {
                    "description": "Prometheus text format.",
                    "content": {
                      "text/plain": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {
                  "200": {
                    "description": "OpenAPI 3.1 document.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/docs": {
              "get": {
                "operationId": "docs",
                "summary": "Human-readable API documentation.",
                "responses": {
                  "200": {
                    "description": "HTML page.",
                    "content": {
                      "text/html": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "401": {
                    "description": "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "Required on every endpoint except /health when API_TOKEN is set."
              }
            },
            "schemas": {
              "Error": {
                "type": "object",
                "required": [
                  "error"
                ],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": [
                      "code",
                      "message"
                    ],
                    "properties": {
                      "code": {
                        "type": "string",
                        "description": "invalid_parameter, invalid_range, not_found, unauthorized, method_not_allowed, database_unavailable, internal_error"
                      },
                      "message": {
                        "type": "string"
                      }
                    }
                  }
                }
              },
              "Event": {
                "type": "object",
                "description": "The canonical Bloodbank envelope (keys in this order) plus `position`.",
                "required": [
                  "event_id",
                  "event_type",
                  "timestamp",
                  "version",
                  "source",
                  "correlation_ids",
                  "agent_context",
                  "payload",
                  "position"
                ],
                "properties": {
                  "event_id": {
                    "type": "string",
                    "format": "uuid"
                  },
                  "event_type": {
                    "type": "string",
                    "pattern": "^[a-z0-9]+(\\.[a-z0-9_-]+)+$"
                  },
                  "timestamp": {
                    "type": "string",
                    "description": "UTC, 6 fraction digits: 2026-01-11T14:30:00.123456Z"
                  },
                  "version": {
                    "type": "string"
                  },
                  "source": {
                    "type": "object",
                    "properties": {
                      "host": {
                        "type": "string"
                      },
                      "type": {
                        "type": "string"
                      },
                      "app": {
                        "type": [
                          "string",
                          "null"
                        ]
                      },
                      "meta": {
                        "type": [
                          "object",
                          "null"
                        ]
                      }
                    }
                  },
                  "correlation_ids": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "format": "uuid"
                    },
                    "description": "Parent event ids."
                  },
                  "agent_context": {
                    "type": [
                      "object",
                      "null"
                    ]
                  },
                  "payload": {
                    "type": "object"
                  },
                  "position": {
                    "type": "integer",
                    "description": "Gapless commit-order position; the value for after=."
                  }
                }
              },
              "CausationTree": {
                "type": "object",
                "required": [
                  "event",
                  "depth"
                ],
                "properties": {
                  "event": {
                    "$ref": "#/components/schemas/Event"
                  },
                  "depth": {
                    "type": "integer"
                  },
                  "children": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/CausationTree"
                    },
                    "description": "descendants walk"
                  },
                  "parents": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/CausationTree"
                    },
                    "description": "ancestors walk"
                  },
                  "truncated": {
                    "type": "boolean",
                    "description": "Root only: the node cap was hit."
                  }
                }
              },
              "CausationFlat": {
                "type": "object",
                "required": [
                  "root_event",
                  "truncated"
                ],
                "properties": {
                  "root_event": {
                    "$ref": "#/components/schemas/Event"
                  },
                  "descendants": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/CausationFlatNode"
                    }
                  },
                  "total_descendants": {
                    "type": "integer"
                  },
                  "ancestors": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/CausationFlatNode"
                    }
                  },
                  "total_ancestors": {
                    "type": "integer"
                  },
                  "truncated": {
                    "type": "boolean"
                  }
                }
              },
              "CausationFlatNode": {
                "type": "object",
                "required": [
                  "event",
                  "depth",
                  "path"
                ],
                "properties": {
                  "event": {
                    "$ref": "#/components/schemas/Event"
                  },
                  "depth": {
                    "type": "integer"
                  },
                  "path": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "format": "uuid"
                    },
                    "description": "Event ids from the root to this event."
                  }
                }
              },
              "CausationGraph": {
                "type": "object",
                "required": [
                  "root_event_id",
                  "nodes",
                  "edges",
                  "truncated"
                ],
                "properties": {
                  "root_event_id": {
                    "type": "string",
                    "format": "uuid"
                  },
                  "nodes": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "properties": {
                        "id": {
                          "type": "string",
                          "format": "uuid"
                        },
                        "depth": {
                          "type": "integer"
                        },
                        "event": {
                          "$ref": "#/components/schemas/Event"
                        }
                      }
                    }
                  },
                  "edges": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "properties": {
                        "from": {
                          "type": "string",
                          "format": "uuid"
                        },
                        "to": {
                          "type": "string",
                          "format": "uuid"
                        }
                      },
                      "description": "Parent (cause) → child (effect)."
                    }
                  },
                  "truncated": {
                    "type": "boolean"
                  }
                }
              },
              "Workflow": {
                "type": "object",
                "properties": {
                  "workflow_id": {
                    "type": "string",
                    "format": "uuid"
                  },
                  "project_name": {
                    "type": "string"
                  },
                  "current_phase": {
                    "type": "string"
                  },
                  "current_agent": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "status": {
                    "type": "string"
                  },
                  "started_at": {
                    "type": "string"
                  },
                  "updated_at": {
                    "type": "string"
                  },
                  "completed_at": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "metadata": {
                    "type": "object"
                  },
                  "phase_history": {
                    "type": "array",
                    "items": {
                      "type": "object"
                    }
                  },
                  "agent_handoffs": {
                    "type": "array",
                    "items": {
                      "type": "object"
                    }
                  },
                  "correlation_ids": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "format": "uuid"
                    }
                  },
                  "version": {
                    "type": "integer"
                  }
                }
              },
              "Timeline": {
                "type": "object",
                "required": [
                  "workflow_id",
                  "timeline"
                ],
                "properties": {
                  "workflow_id": {
                    "type": "string",
                    "format": "uuid"
                  },
                  "timeline": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "properties": {
                        "timestamp": {
                          "type": "string"
                        },
                        "event_type": {
                          "type": "string"
                        },
                        "event_id": {
                          "type": "string",
                          "format": "uuid"
                        },
                        "agent": {
                          "type": [
                            "string",
                            "null"
                          ]
                        },
                        "summary": {
                          "type": "string"
                        },
                        "position": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              },
              "Session": {
                "type": "object",
                "properties": {
                  "session_id": {
                    "type": "string"
                  },
                  "session_uuid": {
                    "type": "string",
                    "format": "uuid"
                  },
                  "agent_type": {
                    "type": "string"
                  },
                  "agent_instance_id": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "checkpoint_id": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "workflow_id": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "status": {
                    "type": "string"
                  },
                  "started_at": {
                    "type": "string"
                  },
                  "last_active_at": {
                    "type": "string"
                  },
                  "completed_at": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "metadata": {}
                }
              },
              "Health": {
                "type": "object",
                "properties": {
                  "status": {
                    "type": "string",
                    "enum": [
                      "ok",
                      "degraded"
                    ]
                  },
                  "components": {
                    "type": "object",
                    "additionalProperties": {
                      "type": "object",
                      "properties": {
                        "healthy": {
                          "type": "boolean"
                        },
                        "detail": {
                          "type": "string"
                        },
                        "latency_ms": {
                          "type": "integer"
                        }
                      }
                    }
                  },
                  "stream": {
                    "type": "object",
                    "properties": {
                      "redis_live": {
                        "type": "boolean"
                      },
                      "clients": {
                        "type": "integer"
                      }
                    }
                  }
                }
              }
            }
          }
        }
        """#
}
