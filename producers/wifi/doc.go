// Package wifi simulates what the mall's and the café's Wi-Fi operators see:
// the devices that come near their access points, even without joining.
//
// A phone or tablet with Wi-Fi on keeps sending probe requests to find
// networks; every access point in range hears them, with the device's MAC
// address and a signal strength that says how far the device is (wifi.probe).
// Devices that stay a while join an open network (wifi.association), and a
// captive portal asks for an e-mail address before letting them out
// (wifi.portal), which ties the MAC address to a name.
//
// MAC randomisation replaces the hardware address by one per network: the
// same device then looks like two strangers to two operators, but stays the
// same stranger to each of them, day after day. Probe requests sent while
// not associated carry a random scan address on modern phones whatever the
// setting, and the connection's address while associated.
package wifi
