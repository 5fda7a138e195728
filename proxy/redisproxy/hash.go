package redisproxy

import (
	"bytes"

	"github.com/cespare/xxhash/v2"
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
func slot(key []byte) uint16 {
	return crc16(hashTag(key, true)) & 16383
}

// crc16 is CRC-16/XMODEM (poly 0x1021, init 0), as Redis Cluster uses.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^c]
	}
	return crc
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()
