// Package loyalty is the shops' loyalty schemes as a sensor: the basket of
// every purchase where a loyalty card was shown, and the schemes' customer
// records (name, e-mail). It registers itself in the producers registry; see
// README.md.
package loyalty
