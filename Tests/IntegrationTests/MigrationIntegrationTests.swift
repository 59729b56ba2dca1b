import EventStore
import Foundation
import PostgresNIO
import Testing

/// The migration runner against the real PostgreSQL: exact schema from the catalog, round trips, locking,
/// atomic failure, status and dirty-history refusal.
@Suite(.serialized) struct MigrationIntegrationTests {
    let migrations = try! Migration.load(from: IntegrationEnvironment.migrationsDirectory)

    func runner(_ database: DatabaseConfiguration, migrations: [Migration]? = nil, lockTimeout: Duration = .seconds(5))
        -> MigrationRunner
    {
        MigrationRunner(
            database: database, migrations: migrations ?? self.migrations, lockTimeout: lockTimeout,
            logger: IntegrationEnvironment.logger)
    }

    /// A textual snapshot of the public schema from the system catalogs (columns, indexes, constraints, triggers).
    func schemaSnapshot(_ database: DatabaseConfiguration) async throws -> SchemaSnapshot {
        var snapshot = SchemaSnapshot()
        for row in try await IntegrationEnvironment.rows(
            """
            SELECT table_name, column_name, data_type, COALESCE(character_maximum_length, 0), is_nullable,
                   COALESCE(column_default, ''), is_identity
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
            ORDER BY table_name, ordinal_position
            """, in: database)
        {
            let (table, column, type, length, nullable, defaultValue, identity) = try row.decode(
                (String, String, String, Int, String, String, String).self)
            snapshot.columns.append(
                "\(table).\(column) \(type)\(length > 0 ? "(\(length))" : "") \(nullable == "YES" ? "null" : "not null")"
                    + (defaultValue.isEmpty ? "" : " default \(defaultValue)") + (identity == "YES" ? " identity" : ""))
        }
        for row in try await IntegrationEnvironment.rows(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY indexname",
            in: database)
        {
            snapshot.indexes.append(try row.decode(String.self))
        }
        for row in try await IntegrationEnvironment.rows(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = 'public'::regnamespace
              AND conrelid::regclass::text <> 'schema_migrations'
            ORDER BY 1, 2
            """, in: database)
        {
            let (table, name, definition) = try row.decode((String, String, String).self)
            snapshot.constraints.append("\(table).\(name): \(definition)")
        }
        for row in try await IntegrationEnvironment.rows(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname", in: database)
        {
            snapshot.triggers.append(try row.decode(String.self))
        }
        return snapshot
    }

    struct SchemaSnapshot: Equatable {
        var columns: [String] = []
        var indexes: [String] = []
        var constraints: [String] = []
        var triggers: [String] = []
        var isEmpty: Bool { columns.isEmpty && indexes.isEmpty && constraints.isEmpty && triggers.isEmpty }
    }

    @Test func firstMigrationCreatesExactlyTheEventStoreSchema() async throws {
        try await IntegrationEnvironment.withScratchDatabase { database in
            let applied = try await runner(database).up(to: 1)
            #expect(applied.map(\.version) == [1])
            let snapshot = try await schemaSnapshot(database)
            #expect(
                snapshot.columns == [
                    "agent_sessions.session_id uuid not null",
                    "agent_sessions.agent_type character varying(50) not null",
                    "agent_sessions.agent_instance_id character varying(255) null",
                    "agent_sessions.checkpoint_id character varying(255) null",
                    "agent_sessions.workflow_id uuid null",
                    "agent_sessions.started_at timestamp with time zone not null",
                    "agent_sessions.last_active_at timestamp with time zone not null",
                    "agent_sessions.completed_at timestamp with time zone null",
                    "agent_sessions.status character varying(50) not null",
                    "agent_sessions.metadata jsonb null",
                    "events.event_id uuid not null",
                    "events.position bigint not null",
                    "events.event_type character varying(255) not null",
                    "events.timestamp timestamp with time zone not null",
                    "events.version character varying(20) not null",
                    "events.source jsonb not null",
                    "events.source_raw jsonb not null",
                    "events.correlation_ids ARRAY not null default '{}'::uuid[]",
                    "events.agent_context jsonb null",
                    "events.payload jsonb not null",
                    "events.workflow_id uuid null",
                    "events.ingested_at timestamp with time zone not null default now()",
                    "workflow_state.workflow_id uuid not null",
                    "workflow_state.project_name character varying(255) not null",
                    "workflow_state.current_phase character varying(50) not null",
                    "workflow_state.current_agent character varying(100) null",
                    "workflow_state.status character varying(20) not null default 'active'::character varying",
                    "workflow_state.started_at timestamp with time zone not null",
                    "workflow_state.updated_at timestamp with time zone not null",
                    "workflow_state.completed_at timestamp with time zone null",
                    "workflow_state.metadata jsonb not null default '{}'::jsonb",
                    "workflow_state.phase_history jsonb not null default '[]'::jsonb",
                    "workflow_state.agent_handoffs jsonb not null default '[]'::jsonb",
                    "workflow_state.correlation_ids ARRAY not null default '{}'::uuid[]",
                    "workflow_state.version bigint not null default 1",
                ])
            #expect(
                snapshot.indexes == [
                    "CREATE UNIQUE INDEX agent_sessions_pkey ON public.agent_sessions USING btree (session_id)",
                    "CREATE UNIQUE INDEX events_pkey ON public.events USING btree (event_id)",
                    "CREATE UNIQUE INDEX events_position_key ON public.events USING btree (\"position\")",
                    "CREATE INDEX idx_agent_sessions_checkpoint ON public.agent_sessions USING btree (checkpoint_id)",
                    "CREATE INDEX idx_agent_sessions_status ON public.agent_sessions USING btree (status, last_active_at DESC)",
                    "CREATE INDEX idx_agent_sessions_workflow ON public.agent_sessions USING btree (workflow_id)",
                    "CREATE INDEX idx_events_checkpoint ON public.events USING btree (((agent_context ->> 'checkpoint_id'::text))) WHERE (agent_context IS NOT NULL)",
                    "CREATE INDEX idx_events_correlation_ids ON public.events USING gin (correlation_ids)",
                    "CREATE INDEX idx_events_event_type ON public.events USING btree (event_type varchar_pattern_ops, \"position\")",
                    "CREATE INDEX idx_events_timestamp ON public.events USING btree (\"timestamp\" DESC)",
                    "CREATE INDEX idx_events_workflow_id ON public.events USING btree (workflow_id, \"position\")",
                    "CREATE INDEX idx_workflow_state_phase ON public.workflow_state USING btree (current_phase)",
                    "CREATE INDEX idx_workflow_state_project ON public.workflow_state USING btree (project_name)",
                    "CREATE INDEX idx_workflow_state_updated ON public.workflow_state USING btree (updated_at DESC)",
                    "CREATE UNIQUE INDEX workflow_state_pkey ON public.workflow_state USING btree (workflow_id)",
                ])
            #expect(
                snapshot.constraints == [
                    "agent_sessions.agent_sessions_pkey: PRIMARY KEY (session_id)",
                    "agent_sessions.agent_sessions_workflow_id_fkey: FOREIGN KEY (workflow_id) REFERENCES workflow_state(workflow_id)",
                    "events.events_event_type_format: CHECK (((event_type)::text ~ '^[a-z0-9]+(\\.[a-z0-9_-]+)+$'::text))",
                    "events.events_pkey: PRIMARY KEY (event_id)",
                    "events.events_position_key: UNIQUE (\"position\")",
                    "workflow_state.workflow_state_pkey: PRIMARY KEY (workflow_id)",
                ])
            #expect(snapshot.triggers == ["events_immutable"])
        }
    }

    @Test func everyMigrationRoundTripsDownAndUp() async throws {
        try await IntegrationEnvironment.withScratchDatabase { database in
            let versions = migrations.map(\.version)
            #expect(try await runner(database).up().map(\.version) == versions)
            let full = try await schemaSnapshot(database)
            // Each step down and back up restores exactly the schema it removed.
            for version in versions.reversed() {
                let before = try await schemaSnapshot(database)
                #expect(try await runner(database).down(steps: 1).map(\.version) == [version])
                #expect(try await schemaSnapshot(database) != before)
                #expect(try await runner(database).up(to: version).map(\.version) == [version])
                #expect(try await schemaSnapshot(database) == before)
                try await runner(database).down(steps: 1)
            }
            #expect(try await schemaSnapshot(database).isEmpty)
            try await runner(database).up()
            #expect(try await schemaSnapshot(database) == full)
            let before = full
            let rolledBack = try await runner(database).down(steps: versions.count)
            #expect(rolledBack.map(\.version) == versions.reversed())
            #expect(try await schemaSnapshot(database).isEmpty)
            #expect(try await runner(database).down().isEmpty)
            try await runner(database).up()
            #expect(try await schemaSnapshot(database) == before)
            #expect(try await runner(database).up().isEmpty)
        }
    }

    @Test func schemaEnforcesImmutabilityAndForeignKey() async throws {
        try await IntegrationEnvironment.withScratchDatabase { database in
            try await runner(database).up()
            let insert = """
                INSERT INTO events (event_id, position, event_type, "timestamp", version, source, source_raw, payload)
                VALUES ('00000000-0000-4000-8000-000000000001', 1, 'test.event', now(), '1.0.0', '{}', '{}', '{}')
                """
            _ = try await IntegrationEnvironment.rows(insert, in: database)
            await #expect(throws: (any Error).self) {
                _ = try await IntegrationEnvironment.rows("UPDATE events SET version = '2'", in: database)
            }
            await #expect(throws: (any Error).self) {
                _ = try await IntegrationEnvironment.rows(insert, in: database)
            }
            await #expect(throws: (any Error).self) {
                _ = try await IntegrationEnvironment.rows(
                    """
                    INSERT INTO events (event_id, position, event_type, "timestamp", version, source, source_raw, payload)
                    VALUES ('00000000-0000-4000-8000-000000000002', 2, 'NoDots', now(), '1.0.0', '{}', '{}', '{}')
                    """, in: database)
            }
            await #expect(throws: (any Error).self) {
                _ = try await IntegrationEnvironment.rows(
                    """
                    INSERT INTO agent_sessions (session_id, agent_type, workflow_id, started_at, last_active_at, status)
                    VALUES (gen_random_uuid(), 'letta', gen_random_uuid(), now(), now(), 'active')
                    """, in: database)
            }
        }
    }

    @Test func secondRunnerWaitsForTheLockThenRefuses() async throws {
        try await IntegrationEnvironment.withScratchDatabase { database in
            try await database.withConnection(logger: IntegrationEnvironment.logger) { holder in
                let locked = try await holder.query(
                    "SELECT pg_advisory_lock(\(MigrationRunner.advisoryLockKey))", logger: IntegrationEnvironment.logger
                ).collect()
                #expect(locked.count == 1)
                let clock = ContinuousClock()
                let start = clock.now
                let error = await #expect(throws: EventStoreError.self) {
                    try await runner(database, lockTimeout: .seconds(1)).up()
                }
                #expect(error?.code == .migrationLocked)
                #expect(clock.now - start >= .seconds(1))
                // Nothing was applied while the lock was held.
                #expect(try await runner(database).status().statuses.allSatisfy { $0.state == .pending })

                // A runner that is willing to wait proceeds once the holder releases the lock.
                async let waiting = runner(database, lockTimeout: .seconds(20)).up()
                try await Task.sleep(for: .milliseconds(500))
                _ = try await holder.query(
                    "SELECT pg_advisory_unlock(\(MigrationRunner.advisoryLockKey))",
                    logger: IntegrationEnvironment.logger
                ).collect()
                #expect(try await waiting.map(\.version) == migrations.map(\.version))
            }
        }
    }

    @Test func concurrentRunnersApplyEachMigrationOnce() async throws {
        try await IntegrationEnvironment.withScratchDatabase { database in
            async let first = runner(database, lockTimeout: .seconds(30)).up()
            async let second = runner(database, lockTimeout: .seconds(30)).up()
            let results = try await [first, second]
            #expect(results.map(\.count).sorted() == [0, migrations.count])
            let rows = try await IntegrationEnvironment.rows("SELECT count(*) FROM schema_migrations", in: database)
            #expect(try rows.first?.decode(Int.self) == migrations.count)
        }
    }

    @Test func failingMigrationLeavesTheDatabaseUnchanged() async throws {
        try await IntegrationEnvironment.withScratchDatabase { database in
            try await runner(database).up()
            let before = try await schemaSnapshot(database)
            let broken = Migration(
                version: 99, name: "broken",
                upSQL:
                    "CREATE TABLE extra (id int); ALTER TABLE events ADD COLUMN extra int; SELECT * FROM no_such_table;",
                downSQL: "DROP TABLE extra;")
            let error = await #expect(throws: EventStoreError.self) {
                try await runner(database, migrations: migrations + [broken]).up()
            }
            #expect(error?.code == .migrationFailed)
            #expect(error?.message.contains("statement 3 of 3") == true)
            #expect(error?.message.contains("no_such_table") == true)
            #expect(try await schemaSnapshot(database) == before)
            let status = try await runner(database, migrations: migrations + [broken]).status()
            #expect(status.statuses.map(\.state).last == .pending)
        }
    }

    @Test func statusReportsAndDirtyHistoryIsRefused() async throws {
        try await IntegrationEnvironment.withScratchDatabase { database in
            let first = [migrations[0]]
            let extra = Migration(
                version: 99, name: "extra", upSQL: "CREATE TABLE extra (id int);", downSQL: "DROP TABLE extra;")
            var status = try await runner(database, migrations: first + [extra]).status()
            #expect(status.statuses.map(\.state) == [.pending, .pending])
            #expect(status.problems.isEmpty)

            try await runner(database, migrations: first + [extra]).up(to: 1)
            status = try await runner(database, migrations: first + [extra]).status()
            #expect(status.statuses.map(\.version) == [1, 99])
            guard case .applied = status.statuses[0].state else {
                Issue.record("migration 1 should be applied, got \(status.statuses[0].state)")
                return
            }
            #expect(status.statuses[1].state == .pending)

            // Edit the applied migration's file: the history is dirty and the runner refuses.
            var edited = first
            edited[0].upSQL += "\n-- edited"
            status = try await runner(database, migrations: edited + [extra]).status()
            guard case .modified = status.statuses[0].state else {
                Issue.record("edited migration should be reported modified")
                return
            }
            #expect(status.problems.count == 1)
            let error = await #expect(throws: EventStoreError.self) {
                try await runner(database, migrations: edited + [extra]).up()
            }
            #expect(error?.code == .dirtyHistory)
            let tables = try await IntegrationEnvironment.rows("SELECT to_regclass('extra') IS NULL", in: database)
            #expect(try tables.first?.decode(Bool.self) == true)

            // A migration recorded as applied whose file is gone is reported as missing and is refused too.
            try await runner(database, migrations: first + [extra]).up()
            status = try await runner(database, migrations: first).status()
            guard case .missingFile = status.statuses[1].state else {
                Issue.record("migration 2 should be reported missing")
                return
            }
            await #expect(throws: EventStoreError.self) { try await runner(database, migrations: first).down() }
        }
    }
}
