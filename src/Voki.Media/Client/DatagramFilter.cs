namespace Voki.Media.Client;

/// <summary>Decides the fate of one datagram on a simulated network path: true drops it.</summary>
public delegate bool DatagramFilter(ReadOnlySpan<byte> datagram);
