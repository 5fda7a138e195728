package redisproxy

import (
	"bytes"

	"github.com/cespare/xxhash/v2"

	"github.com/sidewire/sidewire/proxy/rediscluster"
)

// hashTag returns the part of key that decides its shard: with hash tags
// enabled, the bytes between the first '{' and the next '}' when that is
// not empty (Redis Cluster's rule), else the whole key.
func hashTag(key []byte, enabled bool) []byte {
	if !enabled {
		return key
	}
	open := bytes.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := bytes.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

// keyHash is the hash consistent-hash clusters place a key by.
func keyHash(key []byte, tags bool) uint64 {
	return xxhash.Sum64(hashTag(key, tags))
}

// slot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of its hash
// tag, modulo 16384. Redis Cluster always honours hash tags.
func slot(key []byte) uint16 { return rediscluster.Slot(key) }
