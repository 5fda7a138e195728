package xds

import (
	"slices"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// Secrets (SDS) are subscribed to by name, like load assignments: the
// names the accepted listeners' and clusters' TLS contexts give with
// sds_config ads. A listener or cluster whose secrets have not all
// arrived holds the state back (warming), as in Envoy; a secret that
// changes later rotates the certificate for new handshakes without
// rebuilding the listener or cluster.

// secretRefs returns every secret reference of a listener's chains.
func secretRefs(l *config.Listener) []config.SecretRef {
	var out []config.SecretRef
	for _, fc := range l.FilterChains {
		out = append(out, fc.TLS.SecretRefs()...)
	}
	if l.DefaultFilterChain != nil {
		out = append(out, l.DefaultFilterChain.TLS.SecretRefs()...)
	}
	return out
}

// eachSecretRef calls fn with every secret reference of the accepted
// listeners and clusters and what names it ("listener \"x\"").
func (s *adsState) eachSecretRef(fn func(owner string, r config.SecretRef)) {
	for _, o := range s.staticSecrets {
		fn(o.Owner, o.Ref)
	}
	for _, ln := range s.sortedListeners() {
		for _, r := range secretRefs(s.listeners[ln]) {
			fn("listener "+quote(ln), r)
		}
	}
	for _, cn := range s.sortedClusters() {
		for _, r := range s.clusters[cn].TLS.SecretRefs() {
			fn("cluster "+quote(cn), r)
		}
	}
}

// adsSDSNames returns the sorted secret names to ask the ADS server for.
// The slice is shared: do not modify it.
func (s *adsState) adsSDSNames() []string {
	return s.adsSDS.get(func() []string {
		var out []string
		s.eachSecretRef(func(_ string, r config.SecretRef) {
			if r.File == "" && !r.Static {
				out = append(out, r.Name)
			}
		})
		slices.Sort(out)
		return slices.Compact(out)
	})
}

// secretFiles returns the secret names each secret file must provide,
// by file, sorted.
func (s *adsState) secretFiles() map[FileSource][]string {
	out := map[FileSource][]string{}
	s.eachSecretRef(func(_ string, r config.SecretRef) {
		if r.File != "" {
			src := FileSource{Path: r.File}
			out[src] = append(out[src], r.Name)
		}
	})
	for f, names := range out {
		slices.Sort(names)
		out[f] = slices.Compact(names)
	}
	return out
}

// missingSecrets lists the secrets listeners and clusters wait for.
func (s *adsState) missingSecrets() []string {
	var missing []string
	s.eachSecretRef(func(owner string, r config.SecretRef) {
		if s.secrets[r.Name] == nil {
			missing = append(missing, "secret "+quote(r.Name)+" ("+owner+")")
		}
	})
	return missing
}

// applySecrets merges translated secrets. Over ADS, SotW and delta
// responses carry the secrets that changed (a non-wildcard type) and
// delta removals go; secrets listeners take from files are left alone.
// A secret file replaces the secrets listeners take from it.
func (s *adsState) applySecrets(errs *errList, ch *change) {
	got := decodeAll(errs, ch, "secret", (*tlsv3.Secret).GetName, TranslateSecret)
	files := s.secretFiles()
	if ch.mode == fileSDS {
		for _, n := range files[FileSource{Path: ch.file.Path}] {
			delete(s.secrets, n)
			if sec := got[n]; sec != nil {
				s.secrets[n] = sec
			}
		}
		return
	}
	fromFiles := map[string]bool{}
	for _, names := range files {
		for _, n := range names {
			fromFiles[n] = true
		}
	}
	for _, n := range ch.removed {
		if !fromFiles[n] {
			delete(s.secrets, n)
		}
	}
	for n, sec := range got {
		if !fromFiles[n] {
			s.secrets[n] = sec
		}
	}
}

// pruneSecrets drops secrets, and their delta versions, that no listener
// or cluster names any more.
func (s *adsState) pruneSecrets() {
	want := map[string]bool{}
	s.eachSecretRef(func(_ string, r config.SecretRef) { want[r.Name] = true })
	for n := range s.secrets {
		if !want[n] {
			delete(s.secrets, n)
		}
	}
	for n := range s.resourceVersions[SecretTypeURL] {
		if !want[n] {
			delete(s.resourceVersions[SecretTypeURL], n)
		}
	}
}
