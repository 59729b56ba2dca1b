import BloodbankModel
import EventStoreManager
import Testing

/// Issue 14: 300 made-up event types made 300 metrics series. Labels are now the catalogue's types by name and
/// `other` for everything else.
@Suite struct ManagerMetricsTests {
    @Test func eventTypeLabelsAreBoundedByTheCatalogue() {
        let metrics = ManagerMetrics()
        #expect(metrics.label(eventType: "bmad.workflow.started") == "bmad.workflow.started")
        #expect(metrics.label(eventType: "agent.letta.task.resumed") == "agent.letta.task.resumed")
        let madeUp = Set((0..<300).map { metrics.label(eventType: "demo.made.up\($0)") })
        #expect(madeUp == [ManagerMetrics.otherEventType])
    }
}
