using System.ComponentModel;
using System.Globalization;

namespace ClaudeActors.Core;

/// <summary>
/// An amount of memory, written as people write it: <c>8GiB</c>, <c>512MiB</c>, <c>1.5G</c>, <c>300M</c>, <c>4096</c>
/// (bytes). Binary units (K, M, G, T with or without <c>iB</c>/<c>B</c>) are powers of 1024, as the kernel's
/// memory figures are. Binds from configuration (<c>"MemoryBudget": "8GiB"</c>) through its type converter.
/// </summary>
/// <param name="Bytes">The amount in bytes.</param>
[TypeConverter(typeof(ByteSizeConverter))]
public readonly record struct ByteSize(long Bytes) : IComparable<ByteSize>
{
    /// <summary>Reads a size; throws <see cref="FormatException"/> naming the value when it is not one.</summary>
    public static ByteSize Parse(string text) =>
        TryParse(text, out var size) ? size : throw new FormatException($"'{text}' is not a size (e.g. 8GiB, 512MiB, 1.5G, 4096).");

    /// <summary>Reads a size; false when <paramref name="text"/> is not one (negative sizes are not).</summary>
    public static bool TryParse(string? text, out ByteSize size)
    {
        size = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var span = text.Trim();
        var unitStart = span.Length;
        while (unitStart > 0 && char.IsAsciiLetter(span[unitStart - 1])) unitStart--;
        var unit = span[unitStart..].Trim().ToUpperInvariant();
        long multiplier = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            _ => 0,
        };
        if (multiplier == 0) return false;
        if (!decimal.TryParse(span[..unitStart].Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 0)
            return false;
        var bytes = number * multiplier;
        if (bytes > long.MaxValue) return false;
        size = new ByteSize((long)bytes);
        return true;
    }

    /// <summary>Mebibytes, for display.</summary>
    public double MiB => Bytes / (double)(1 << 20);

    /// <inheritdoc />
    public int CompareTo(ByteSize other) => Bytes.CompareTo(other.Bytes);

    /// <summary>The size in the largest binary unit that keeps one decimal (<c>8.0GiB</c>, <c>173.4MiB</c>).</summary>
    public override string ToString() => Bytes switch
    {
        >= 1L << 40 => (Bytes / (double)(1L << 40)).ToString("0.0", CultureInfo.InvariantCulture) + "TiB",
        >= 1L << 30 => (Bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + "GiB",
        >= 1L << 20 => (Bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + "MiB",
        >= 1L << 10 => (Bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + "KiB",
        _ => Bytes.ToString(CultureInfo.InvariantCulture) + "B",
    };

    /// <summary>Compares sizes.</summary>
    public static bool operator <(ByteSize left, ByteSize right) => left.Bytes < right.Bytes;

    /// <summary>Compares sizes.</summary>
    public static bool operator >(ByteSize left, ByteSize right) => left.Bytes > right.Bytes;

    /// <summary>Compares sizes.</summary>
    public static bool operator <=(ByteSize left, ByteSize right) => left.Bytes <= right.Bytes;

    /// <summary>Compares sizes.</summary>
    public static bool operator >=(ByteSize left, ByteSize right) => left.Bytes >= right.Bytes;
}

/// <summary>Converts <see cref="ByteSize"/> from and to its text, for the configuration binder.</summary>
public sealed class ByteSizeConverter : TypeConverter
{
    /// <inheritdoc />
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    /// <inheritdoc />
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? ByteSize.Parse(text) : base.ConvertFrom(context, culture, value);
}
