package testpeer

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisCluster is a Redis Cluster of redis-server processes on loopback
// ports: masters with slots spread evenly, and optionally one replica
// per master.
type RedisCluster struct {
	Masters  []*ClusterNode
	Replicas []*ClusterNode // Replicas[i] replicates Masters[i], when started with replicas
}

// ClusterNode is one node of a RedisCluster.
type ClusterNode struct {
	*Redis
	ID  string
	Bus int // the cluster bus port
	// TLSPort serves TLS in a cluster from StartRedisClusterTLS; 0
	// otherwise.
	TLSPort int
}

// StartRedisCluster starts masters cluster-enabled nodes (and one replica
// each when replicas is true), assigns the 16384 slots evenly with
// CLUSTER ADDSLOTSRANGE, joins them with CLUSTER MEET, and waits until
// every node reports cluster_state:ok and knows every slot.
func StartRedisCluster(t testing.TB, masters int, replicas bool) *RedisCluster {
	t.Helper()
	return startCluster(t, masters, replicas, StartClusterNode)
}

// startCluster builds a cluster of nodes made by start.
func startCluster(t testing.TB, masters int, replicas bool, start func(testing.TB) *ClusterNode) *RedisCluster {
	t.Helper()
	rc := &RedisCluster{}
	for range masters {
		rc.Masters = append(rc.Masters, start(t))
	}
	for i, m := range rc.Masters {
		lo, hi := i*16384/masters, (i+1)*16384/masters-1
		m.MustDo(t, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi))
	}
	if replicas {
		for range rc.Masters {
			rc.Replicas = append(rc.Replicas, start(t))
		}
	}
	first := rc.Masters[0]
	for _, n := range rc.Nodes()[1:] {
		n.MustDo(t, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(first.Port), strconv.Itoa(first.Bus))
	}
	for i, r := range rc.Replicas {
		rc.waitKnown(t, r, rc.Masters[i].ID)
		r.MustDo(t, "CLUSTER", "REPLICATE", rc.Masters[i].ID)
	}
	rc.WaitOK(t)
	return rc
}

// StartClusterNode starts one cluster-enabled redis-server with its
// cluster bus on a port of its own and its nodes.conf in a temp dir.
func StartClusterNode(t testing.TB) *ClusterNode {
	t.Helper()
	return startClusterNode(t)
}

// startClusterNode starts a cluster node with extra redis-server
// arguments.
func startClusterNode(t testing.TB, extra ...string) *ClusterNode {
	t.Helper()
	bus := freePort(t)
	args := append([]string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-port", strconv.Itoa(bus), "--cluster-node-timeout", "2000",
		"--cluster-require-full-coverage", "no", "--cluster-allow-replica-migration", "no"}, extra...)
	r := StartRedis(t, args...)
	id, err := r.Do("CLUSTER", "MYID")
	if err != nil {
		t.Fatalf("cluster myid on %s: %v", r.Addr(), err)
	}
	return &ClusterNode{Redis: r, ID: id, Bus: bus}
}

// Nodes returns the masters, then the replicas.
func (rc *RedisCluster) Nodes() []*ClusterNode {
	return append(append([]*ClusterNode(nil), rc.Masters...), rc.Replicas...)
}

// WaitOK waits until every live node reports cluster_state:ok with all
// 16384 slots assigned and knows every node.
func (rc *RedisCluster) WaitOK(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, n := range rc.Nodes() {
			if n.cmd.ProcessState != nil {
				continue
			}
			info, err := n.Do("CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_assigned:16384") ||
				!strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(rc.live())) {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis cluster did not reach cluster_state:ok")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (rc *RedisCluster) live() int {
	n := 0
	for _, nd := range rc.Nodes() {
		if nd.cmd.ProcessState == nil {
			n++
		}
	}
	return n
}

func (rc *RedisCluster) waitKnown(t testing.TB, n *ClusterNode, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nodes, err := n.Do("CLUSTER", "NODES")
		if err == nil && strings.Contains(nodes, id) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s does not learn node %s", n.Addr(), id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AddMaster starts a new master, joins it to the cluster (no slots yet)
// and waits until every node knows it.
func (rc *RedisCluster) AddMaster(t testing.TB) *ClusterNode {
	t.Helper()
	n := StartClusterNode(t)
	n.MustDo(t, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(rc.Masters[0].Port), strconv.Itoa(rc.Masters[0].Bus))
	rc.Masters = append(rc.Masters, n)
	for _, o := range rc.Nodes() {
		if o.cmd.ProcessState == nil {
			rc.waitKnown(t, o, n.ID)
		}
	}
	rc.WaitOK(t)
	return n
}

// Owner returns the master serving slot, as the first master sees it.
func (rc *RedisCluster) Owner(t testing.TB, slot int) *ClusterNode {
	t.Helper()
	for _, m := range rc.Masters {
		if m.cmd.ProcessState != nil {
			continue
		}
		nodes, err := m.Do("CLUSTER", "NODES")
		if err != nil {
			t.Fatalf("cluster nodes: %v", err)
		}
		for _, line := range strings.Split(nodes, "\n") {
			f := strings.Fields(line)
			if len(f) < 9 || !strings.Contains(f[2], "master") {
				continue
			}
			for _, r := range f[8:] {
				lo, hi, ok := parseRange(r)
				if ok && lo <= slot && slot <= hi {
					for _, n := range rc.Masters {
						if n.ID == f[0] {
							return n
						}
					}
				}
			}
		}
		break
	}
	t.Fatalf("no master serves slot %d", slot)
	return nil
}

func parseRange(s string) (int, int, bool) {
	if strings.HasPrefix(s, "[") {
		return 0, 0, false // a migrating or importing marker
	}
	lo, hi, found := strings.Cut(s, "-")
	a, err := strconv.Atoi(lo)
	if err != nil {
		return 0, 0, false
	}
	if !found {
		return a, a, true
	}
	b, err := strconv.Atoi(hi)
	return a, b, err == nil
}

// BeginMigration marks slot as migrating from src to dst (and importing
// on dst) and moves the given keys of the slot: afterwards src answers
// -ASK for those keys and serves the others.
func (rc *RedisCluster) BeginMigration(t testing.TB, slot int, src, dst *ClusterNode, keys ...string) {
	t.Helper()
	s := strconv.Itoa(slot)
	dst.MustDo(t, "CLUSTER", "SETSLOT", s, "IMPORTING", src.ID)
	src.MustDo(t, "CLUSTER", "SETSLOT", s, "MIGRATING", dst.ID)
	for _, k := range keys {
		src.MustDo(t, "MIGRATE", "127.0.0.1", strconv.Itoa(dst.migratePort()), k, "0", "5000")
	}
}

// MigrateSlot moves slot and every key in it from src to dst and tells
// every master: afterwards src answers -MOVED for the slot.
func (rc *RedisCluster) MigrateSlot(t testing.TB, slot int, src, dst *ClusterNode) {
	t.Helper()
	s := strconv.Itoa(slot)
	dst.MustDo(t, "CLUSTER", "SETSLOT", s, "IMPORTING", src.ID)
	src.MustDo(t, "CLUSTER", "SETSLOT", s, "MIGRATING", dst.ID)
	for {
		keys, err := src.DoArray("CLUSTER", "GETKEYSINSLOT", s, "100")
		if err != nil {
			t.Fatalf("getkeysinslot: %v", err)
		}
		if len(keys) == 0 {
			break
		}
		args := []string{"MIGRATE", "127.0.0.1", strconv.Itoa(dst.migratePort()), "", "0", "5000", "KEYS"}
		src.MustDo(t, append(args, keys...)...)
	}
	rc.FinishMigration(t, slot, dst)
}

// FinishMigration assigns slot to dst on every live master.
func (rc *RedisCluster) FinishMigration(t testing.TB, slot int, dst *ClusterNode) {
	t.Helper()
	s := strconv.Itoa(slot)
	dst.MustDo(t, "CLUSTER", "SETSLOT", s, "NODE", dst.ID)
	for _, m := range rc.Masters {
		if m != dst && m.cmd.ProcessState == nil {
			m.MustDo(t, "CLUSTER", "SETSLOT", s, "NODE", dst.ID)
		}
	}
}

// MustDo is Do, failing the test on error.
func (r *Redis) MustDo(t testing.TB, args ...string) string {
	t.Helper()
	out, err := r.Do(args...)
	if err != nil {
		t.Fatalf("%s on %s: %v", strings.Join(args, " "), r.Addr(), err)
	}
	return out
}

// Do sends one command and returns its reply as text: a simple string,
// integer or bulk string; an error reply is an error; arrays are joined
// with newlines (one level).
func (r *Redis) Do(args ...string) (string, error) {
	v, err := r.do(args)
	if err != nil {
		return "", err
	}
	return strings.Join(v, "\n"), nil
}

// DoArray is Do for replies that are arrays of strings.
func (r *Redis) DoArray(args ...string) ([]string, error) { return r.do(args) }

func (r *Redis) do(args []string) ([]string, error) {
	c, err := net.DialTimeout("tcp", r.Addr(), 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return readText(bufio.NewReader(c))
}

func readText(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return []string{line[1:]}, nil
	case '-':
		return nil, fmt.Errorf("redis: %s", line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return []string{""}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		return []string{string(buf[:n])}, nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		var out []string
		for range max(n, 0) {
			v, err := readText(br)
			if err != nil {
				return nil, err
			}
			out = append(out, strings.Join(v, " "))
		}
		if out == nil {
			out = []string{}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// Running reports whether the node's process is still up.
func (r *Redis) Running() bool { return r.cmd.ProcessState == nil }
