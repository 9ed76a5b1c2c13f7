// The generator every workload draws from lives with the domain (the engine's feed seeds use it too).
@_exported import struct ReelDomain.SplitMix64
