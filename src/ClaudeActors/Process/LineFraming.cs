using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;

namespace ClaudeActors.Process;

/// <summary>One framed stdout line, or the size of a line that was too long and was dropped while it arrived.</summary>
internal readonly record struct FramedLine(byte[]? Bytes, long OversizedLength)
{
    public bool IsOversized => Bytes is null;
}

/// <summary>
/// Splits a byte stream into <c>\n</c>-terminated lines. Unlike <c>Framing.Delimiter</c>, a line over the limit
/// does not fail the stream: its bytes are discarded as they arrive (memory stays bounded) and one
/// <see cref="FramedLine"/> with <see cref="FramedLine.IsOversized"/> reports it, so later lines still flow.
/// A last line without a terminator is emitted at end of stream (the CLI may die mid-line).
/// </summary>
internal sealed class LineFraming : GraphStage<FlowShape<ByteString, FramedLine>>
{
    private readonly int _maxLineBytes;

    public LineFraming(int maxLineBytes)
    {
        _maxLineBytes = maxLineBytes;
        Shape = new FlowShape<ByteString, FramedLine>(In, Out);
    }

    public Inlet<ByteString> In { get; } = new("LineFraming.in");
    public Outlet<FramedLine> Out { get; } = new("LineFraming.out");
    public override FlowShape<ByteString, FramedLine> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly LineFraming _stage;
        private readonly Queue<FramedLine> _ready = new();
        private byte[] _buffer = new byte[4096];
        private int _length;
        private long _discarding = -1; // >= 0 while dropping an oversized line: bytes dropped so far

        public Logic(LineFraming stage) : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void OnPush()
        {
            var chunk = Grab(_stage.In);
            Append(chunk.ToReadOnlySpan());
            Deliver();
        }

        public override void OnPull() => Deliver();

        public override void OnUpstreamFinish()
        {
            if (_discarding >= 0) _ready.Enqueue(new FramedLine(null, _discarding));
            else if (_length > 0) _ready.Enqueue(new FramedLine(_buffer.AsSpan(0, _length).ToArray(), 0));
            _length = 0;
            _discarding = -1;
            if (_ready.Count == 0) CompleteStage();
            else Deliver();
        }

        private void Deliver()
        {
            if (_ready.Count > 0 && IsAvailable(_stage.Out)) Push(_stage.Out, _ready.Dequeue());
            if (_ready.Count == 0)
            {
                if (IsClosed(_stage.In)) CompleteStage();
                else if (!HasBeenPulled(_stage.In) && IsAvailable(_stage.Out)) Pull(_stage.In);
            }
        }

        private void Append(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                var newline = data.IndexOf((byte)'\n');
                var part = newline < 0 ? data : data[..newline];
                if (_discarding >= 0) _discarding += part.Length;
                else if (_length + part.Length > _stage._maxLineBytes)
                {
                    _discarding = _length + part.Length;
                    _length = 0;
                    if (_buffer.Length > 65536) _buffer = new byte[4096];
                }
                else
                {
                    EnsureCapacity(_length + part.Length);
                    part.CopyTo(_buffer.AsSpan(_length));
                    _length += part.Length;
                }
                if (newline < 0) return;
                if (_discarding >= 0) _ready.Enqueue(new FramedLine(null, _discarding));
                else if (_length > 0) _ready.Enqueue(new FramedLine(_buffer.AsSpan(0, _length).ToArray(), 0));
                _length = 0;
                _discarding = -1;
                if (_buffer.Length > 65536) _buffer = new byte[4096]; // give back the room a big line took
                data = data[(newline + 1)..];
            }
        }

        private void EnsureCapacity(int needed)
        {
            if (needed <= _buffer.Length) return;
            var size = _buffer.Length;
            while (size < needed) size *= 2;
            Array.Resize(ref _buffer, Math.Min(size, Math.Max(needed, _stage._maxLineBytes)));
        }
    }
}
