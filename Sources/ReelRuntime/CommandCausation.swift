/// The command id a caller attaches to every event its commands produce (`EventMetadata.causationID`), for as
/// long as `CommandCausation.$id.withValue(…)` runs: a task-local, so it follows the request's task into each
/// entity actor it awaits. The HTTP layer sets it from an `Idempotency-Key`, and its index finds, from the
/// journal alone, whether a retried request was already carried out.
public enum CommandCausation {
    @TaskLocal public static var id: UInt64?
}
