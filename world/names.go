package world

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Synthetic French names. Each list is in rough order of frequency among
// adults living in France today (the INSEE first-name file, births
// 1940–2008, and the INSEE/Géopatronyme surname counts, births 1891–1990),
// with the names of Paris's immigrant families (Maghreb, West Africa,
// Portugal, Vietnam, China) placed where their bearers rank in Paris rather
// than nationally. The order is the data; the counts themselves are not
// reproduced: a name at rank k is drawn with weight 1/(k+1)^s (see
// firstNameSkew and lastNameSkew), so common names are common and namesakes
// happen as they do in a real city.
var (
	femaleFirstNames = []string{
		"Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Martine", "Christine",
		"Sandrine", "Valérie", "Céline", "Stéphanie", "Véronique", "Sophie", "Julie", "Aurélie",
		"Monique", "Nicole", "Laurence", "Caroline", "Émilie", "Camille", "Sarah", "Laura",
		"Virginie", "Anne", "Patricia", "Brigitte", "Chantal", "Élodie", "Audrey", "Mélanie",
		"Christiane", "Jacqueline", "Pauline", "Marine", "Léa", "Manon", "Chloé", "Emma",
		"Hélène", "Florence", "Corinne", "Karine", "Delphine", "Pascale", "Danielle", "Annie",
		"Agnès", "Jeanne", "Claire", "Lucie", "Anaïs", "Mathilde", "Charlotte", "Clara",
		"Inès", "Jade", "Louise", "Alice", "Juliette", "Zoé", "Océane", "Marion",
		"Amandine", "Jessica", "Vanessa", "Cécile", "Béatrice", "Michèle", "Denise", "Suzanne",
		"Fatima", "Nadia", "Sonia", "Sabrina", "Myriam", "Samira", "Leïla", "Yasmine",
		"Amina", "Aïcha", "Khadija", "Fatoumata", "Aminata", "Awa", "Mariam", "Linh",
		"Ana", "Maria", "Sofia", "Eva", "Lola", "Rose", "Anna", "Romane",
		"Justine", "Morgane", "Elsa", "Noémie", "Ophélie", "Coralie", "Estelle", "Gaëlle",
		"Laetitia", "Mireille", "Colette", "Odile", "Élise", "Margaux", "Clémence", "Agathe",
	}
	maleFirstNames = []string{
		"Jean", "Michel", "Philippe", "Alain", "Patrick", "Nicolas", "Christophe", "Pierre",
		"Christian", "Éric", "Frédéric", "Laurent", "Stéphane", "David", "Julien", "Pascal",
		"Daniel", "Thierry", "Sébastien", "Olivier", "Bernard", "Thomas", "Jacques", "Alexandre",
		"François", "Dominique", "Vincent", "Gérard", "Sylvain", "Maxime", "Guillaume", "Jérôme",
		"Anthony", "Antoine", "Romain", "Kévin", "Bruno", "Franck", "Didier", "Cédric",
		"Claude", "Mickaël", "Fabrice", "Arnaud", "Gilles", "Yves", "Lucas", "Hugo",
		"Louis", "Nathan", "Gabriel", "Jules", "Arthur", "Adam", "Raphaël", "Théo",
		"Paul", "Mathieu", "Benjamin", "Florian", "Quentin", "Jonathan", "Hervé", "Serge",
		"René", "Marcel", "André", "Roger", "Georges", "Henri", "Robert", "Yannick",
		"Mohamed", "Karim", "Mehdi", "Yanis", "Rayan", "Sofiane", "Bilal", "Samir",
		"Rachid", "Ahmed", "Youssef", "Amadou", "Moussa", "Mamadou", "Ibrahima", "Omar",
		"Damien", "Ludovic", "Xavier", "Samuel", "Victor", "Bastien", "Étienne", "Léo",
		"Enzo", "Clément", "Valentin", "Adrien", "Baptiste", "Jean-Pierre", "Jean-Luc", "Jean-François",
		"Minh", "Wei", "João", "Carlos", "Manuel", "José", "Tiago", "Ali",
	}
	lastNames = []string{
		"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
		"Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David",
		"Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
		"Rousseau", "Vincent", "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc",
		"Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
		"Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
		"Nguyen", "Gautier", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Marie",
		"Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud",
		"Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez",
		"Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal",
		"Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
		"Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
		"Diallo", "Da Silva", "Dos Santos", "Ferreira", "Pereira", "Martins", "Rodrigues", "Fernandes",
		"Haddad", "Benali", "Cohen", "Tran", "Traoré", "Diop", "Ndiaye", "Camara",
		"Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean", "Dupuy",
		"Guillot", "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin", "Louis",
		"Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein",
		"Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré",
		"Charles", "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly",
		"Hervé", "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien",
		"Prévost", "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton",
		"Besson", "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc",
		"Barré", "Lebrun", "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob",
		"Monnier", "Michaud", "Rodriguez", "Guichard", "Gillet", "Étienne", "Grondin", "Poulain",
		"Tessier", "Chevallier", "Collin", "Chauvin", "Bouchet", "Gay", "Lemaître", "Bénard",
		"Maréchal", "Humbert", "Reynaud", "Antoine", "Hoarau", "Perret", "Barthélemy", "Cordier",
		"Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier", "Carlier", "Laporte",
		"Lopes", "Gomes", "Gonçalves", "Pinto", "Costa", "Carvalho", "Oliveira", "Sousa",
		"Sow", "Ba", "Koné", "Cissé", "Keita", "Fofana", "Sylla", "Touré",
		"Bah", "Mendy", "Sissoko", "Konaté", "Coulibaly", "Diarra", "Kanté", "Dembélé",
		"Mansouri", "Belkacem", "Brahimi", "Bouzid", "Amrani", "Cherif", "Meziane", "Rahmani",
		"Saïdi", "Kaci", "Hamidi", "Benamar", "Bensaïd", "Belaïd", "Messaoudi", "Ziani",
		"Lévy", "Benhamou", "Azoulay", "Sebban", "Chen", "Wang", "Zhang", "Li",
		"Lin", "Huang", "Pham", "Le", "Hoang", "Vu", "Dang", "Bui",
		"Kowalski", "Nowak", "Yilmaz", "Kaya", "Demir", "Öztürk", "Popescu", "Ivanov",
		"Buisson", "Clerc", "Vallée", "Maurice", "Barbe", "Bouchard", "Labbé", "Poulet",
		"Guillon", "Gros", "Lainé", "Navarro", "Ruiz", "Torres", "Romero", "Moreno",
		"Dubreuil", "Dufresne", "Hébert", "Marin", "Fleurot", "Drouet", "Bigot", "Tanguy",
	}
)

// Name draws: a name at rank k (0-based) in its list has weight 1/(k+1)^s.
// French surnames have a long, fairly flat tail: Martin, the most common, is
// borne by about a third of a percent of the population and names around
// rank 300 by some fifteen to twenty times fewer people, which s = 0.5
// gives (sqrt(300) ≈ 17). For first names s = 0.45 makes Marie, the most
// common first name of living Frenchwomen, about 4 % of the women's draws
// and eight times as likely as the 112th name. These are orders of
// magnitude, not fitted counts; the lists are short, so namesakes are more
// frequent than in a real city, which only makes the e-mail book work
// harder.
const (
	firstNameSkew = 0.45
	lastNameSkew  = 0.5
	// femaleShare is the share of women in the population (INSEE, 2024:
	// 51.6 % of residents of France, a little more among adults in Paris).
	femaleShare = 0.52
)

// weightedNames draws names in proportion to their weights.
type weightedNames struct {
	names []string
	cum   []float64 // cumulative weights, the last one is the total
}

func newWeightedNames(names []string, skew float64) weightedNames {
	w := weightedNames{names: names, cum: make([]float64, len(names))}
	total := 0.0
	for k := range names {
		total += 1 / math.Pow(float64(k+1), skew)
		w.cum[k] = total
	}
	return w
}

// draw returns a name drawn from r.
func (w weightedNames) draw(r *rand.Rand) string {
	x := r.Float64() * w.cum[len(w.cum)-1]
	return w.names[min(sort.SearchFloat64s(w.cum, x), len(w.names)-1)]
}

var (
	femaleFirst = newWeightedNames(femaleFirstNames, firstNameSkew)
	maleFirst   = newWeightedNames(maleFirstNames, firstNameSkew)
	lastName    = newWeightedNames(lastNames, lastNameSkew)
)

// drawName draws a person's first and last names.
func drawName(r *rand.Rand) (first, last string) {
	if r.Float64() < femaleShare {
		first = femaleFirst.draw(r)
	} else {
		first = maleFirst.draw(r)
	}
	return first, lastName.draw(r)
}
