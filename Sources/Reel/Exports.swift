// A host imports `Reel` alone: the domain's events and values and the journal's basic types come with it.
@_exported import ReelDomain
@_exported import struct ReelJournal.Timestamp
@_exported import struct ReelJournal.StreamID
@_exported import protocol ReelJournal.JournalClock
@_exported import struct ReelJournal.SystemClock
@_exported import struct ReelViews.VideoCounters
@_exported import struct ReelJournal.CompactionReport
@_exported import enum ReelJournal.FilePrivacy
@_exported import enum ReelJournal.SecretStoreCheck
@_exported import struct ReelJournal.StoreDamage
