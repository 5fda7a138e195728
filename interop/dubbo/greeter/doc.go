// Package greeter is the Dubbo service the interop tests serve and call:
// interface org.sidewire.interop.Greeter over the "dubbo" protocol with
// hessian2 bodies, served by a real dubbo-go provider.
//
// Every string reply starts with the serving provider's label and a '|'
// ("v1|hello, ann"), so a test can tell which provider answered a call
// that went through a proxy. Count lets a test ask a provider directly
// how many calls of a method it served, for replies (Add) that carry no
// label.
package greeter
