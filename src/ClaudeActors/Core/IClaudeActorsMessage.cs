namespace ClaudeActors.Core;

/// <summary>
/// Marks every ClaudeActors message that may cross a node or enter the journal. The cluster module binds its
/// serializer to this interface, and a test checks that each marked type has a manifest, so a new message cannot
/// fall back silently to another serializer.
/// </summary>
internal interface IClaudeActorsMessage;
