// Package card is the bank and card network as a sensor: every card payment,
// with the merchant, its category code, the amount and the terminal. It
// registers itself in the producers registry; see README.md.
package card
