package phone

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"

	"exhaust/world"
)

// logsInWithNumber reports whether an app identifies its user by phone
// number (messaging and social apps ask for it at sign-up), so its analytics
// carry the MSISDN next to the advertising id. E-mail clients log in with an
// address instead.
func logsInWithNumber(app string) bool {
	if app == "Gmail" {
		return false
	}
	switch world.AppCategory(app) {
	case "messages", "social":
		return true
	}
	return false
}

// logsInWithEmail reports whether app signs its users in with an e-mail
// account, which its analytics then log next to the advertising id: on the
// phone and the tablet alike, so one account ties the two devices together.
func logsInWithEmail(app string) bool {
	switch app {
	case "Gmail", "Google Docs", "LinkedIn", "Doctolib", "Leboncoin", "Vinted", "Netflix", "Spotify", "Deezer", "Strava":
		return true
	}
	return false
}

// correspondent hides a peer's phone number the way operators' analytics
// exports do: an unsalted hash, so the same peer always gets the same value
// and the social graph survives the "anonymisation".
func correspondent(msisdn string) string {
	h := sha256.Sum256([]byte(msisdn))
	return hex.EncodeToString(h[:])[:16]
}

// queries are plausible search strings per search topic. The simulated city
// is French, so are its people's searches.
var queries = map[string][]string{
	"météo paris":     {"météo paris demain", "pluie paris ce week-end", "météo paris heure par heure"},
	"recette":         {"recette gratin dauphinois", "recette pâtes rapide", "recette soupe potiron", "quiche lorraine facile"},
	"football":        {"psg score", "résultats ligue 1", "classement ligue 1", "psg mercato"},
	"séries":          {"meilleures séries netflix", "saison 2 date de sortie", "série policière française"},
	"concerts":        {"concerts paris décembre", "billets concert accor arena", "festival paris 2027"},
	"immobilier":      {"prix m2 paris 11", "taux crédit immobilier", "appartement 2 pièces paris location"},
	"vacances":        {"vacances de noël idées", "week-end pas cher", "location ski février"},
	"santé":           {"médecin généraliste dimanche paris", "mal de dos que faire", "pharmacie de garde paris"},
	"politique":       {"sondage présidentielle", "assemblée nationale vote", "réforme retraites"},
	"jeux vidéo":      {"sorties jeux vidéo décembre", "soluce zelda", "promo ps5"},
	"cinéma":          {"films à l'affiche paris", "séances ugc les halles", "critique film"},
	"bourse":          {"cac 40 aujourd'hui", "cours action lvmh", "livret a taux"},
	"vélo":            {"piste cyclable paris carte", "réparation vélo paris", "vélib abonnement"},
	"randonnée":       {"randonnée île-de-france", "gr 1 étapes", "chaussures randonnée"},
	"mode":            {"soldes hiver", "manteau femme", "sneakers tendance"},
	"high-tech":       {"meilleur smartphone 2026", "test casque bluetooth", "comparatif tablette"},
	"jardinage":       {"plantes d'intérieur faciles", "tailler rosier", "balcon potager"},
	"voyage japon":    {"voyage japon budget", "jr pass prix", "kyoto que visiter"},
	"expositions":     {"expositions paris en ce moment", "musée du louvre horaires", "expo centre pompidou"},
	"restaurants":     {"restaurant près de moi", "brunch paris dimanche", "meilleur ramen paris"},
	"big data":        {"big data définition", "qui collecte mes données", "données personnelles rgpd"},
	"vie privée":      {"désactiver la géolocalisation", "rgpd droit d'accès", "bornes wifi tracking"},
	"livres essais":   {"essais à lire 2026", "tout le monde ment livre", "l'homme nu livre avis"},
	"science-fiction": {"meilleurs romans science-fiction", "nouveautés sf", "fondation asimov ordre de lecture"},
}

// query returns a plausible search for topic.
func query(rng *rand.Rand, topic string) string {
	if qs := queries[topic]; len(qs) > 0 {
		return qs[rng.IntN(len(qs))]
	}
	suffixes := []string{"", " avis", " près de moi", " 2026", " c'est quoi"}
	return topic + suffixes[rng.IntN(len(suffixes))]
}
