package xds

// Response is what ADSConfig.OnResponse is told of one response or file
// change.
type Response struct {
	TypeURL string
	// Names are the resources the response carried, in its order, then
	// those a delta response removed; given for secrets and route
	// configurations only (the types Envoy keeps stats per resource
	// for), so a large CDS or EDS response costs nothing here.
	Names []string
	// Err is nil when the change was accepted, else why it was rejected.
	Err error
}

// names lists the resources ch carries and removes.
func (ch *change) names() []string {
	if ch.typ != SecretTypeURL && ch.typ != RouteTypeURL {
		return nil
	}
	out := make([]string, 0, len(ch.resources)+len(ch.removed))
	for _, r := range ch.resources {
		switch {
		case r.name != "":
			out = append(out, r.name)
		case r.res != nil: // state of the world and files: name from the wire
			out = append(out, string(wireNameBytes(r.res.GetValue())))
		}
	}
	return append(out, ch.removed...)
}
