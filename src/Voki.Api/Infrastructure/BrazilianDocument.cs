namespace Voki.Api.Infrastructure;

/// <summary>
/// A customer's <c>document</c>: a CPF (11 digits) or a CNPJ (14 digits), with or without its punctuation, whose
/// check digits are right (Receita Federal's modulo-11 rules). Stored in the formatted shape the docs show:
/// <c>123.456.789-09</c>, <c>12.345.678/0001-95</c>.
/// </summary>
public static class BrazilianDocument
{
    /// <summary>The formatted document, or null when the text is no valid CPF or CNPJ.</summary>
    public static string? Normalize(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Any(c => !char.IsAsciiDigit(c) && c is not ('.' or '-' or '/' or ' '))) return null;
        var digits = trimmed.Where(char.IsAsciiDigit).Select(c => c - '0').ToArray();
        return digits.Length switch
        {
            11 when IsValidCpf(digits) => $"{Part(digits, 0, 3)}.{Part(digits, 3, 3)}.{Part(digits, 6, 3)}-{Part(digits, 9, 2)}",
            14 when IsValidCnpj(digits) => $"{Part(digits, 0, 2)}.{Part(digits, 2, 3)}.{Part(digits, 5, 3)}/{Part(digits, 8, 4)}-{Part(digits, 12, 2)}",
            _ => null,
        };
    }

    // A run of one digit (000.000.000-00, 11.111.111/1111-11…) passes the arithmetic but is no one's number.
    private static bool IsValidCpf(int[] d) =>
        d.Distinct().Count() > 1 && d[9] == CpfCheck(d, 9) && d[10] == CpfCheck(d, 10);

    private static int CpfCheck(int[] d, int length)
    {
        var sum = 0;
        for (var i = 0; i < length; i++) sum += d[i] * (length + 1 - i);
        var rest = sum * 10 % 11;
        return rest == 10 ? 0 : rest;
    }

    private static bool IsValidCnpj(int[] d) =>
        d.Distinct().Count() > 1 && d[12] == CnpjCheck(d, 12) && d[13] == CnpjCheck(d, 13);

    private static int CnpjCheck(int[] d, int length)
    {
        var sum = 0;
        for (var i = 0; i < length; i++) sum += d[i] * (2 + (length - 1 - i) % 8);
        var rest = sum % 11;
        return rest < 2 ? 0 : 11 - rest;
    }

    private static string Part(int[] d, int start, int length) => string.Concat(d.Skip(start).Take(length));
}
