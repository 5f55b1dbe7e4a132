// The intent data set: utterances for nine assistant intents, written as templates with slot fillers and expanded
// deterministically (fixed data seed) into 80 distinct examples per intent.
import { Random } from '../../runtime/random.js';

type Slots = Record<string, readonly string[]>;

const slots: Slots = {
  city: ['paris', 'london', 'berlin', 'tokyo', 'new york', 'chicago', 'madrid', 'rome', 'boston', 'seattle', 'dublin', 'oslo'],
  when: ['today', 'tomorrow', 'tonight', 'this weekend', 'on monday', 'on friday', 'this afternoon', 'tomorrow morning', 'next week'],
  weatherAdj: ['sunny', 'cold', 'windy', 'hot', 'cloudy', 'foggy', 'warm'],
  time: ['six', 'seven', 'six thirty', 'seven fifteen', 'eight', 'nine', '5 am', '6 am', '7 45', 'noon', 'ten pm', 'half past six'],
  song: ['yesterday', 'hey jude', 'bohemian rhapsody', 'imagine', 'wonderwall', 'hallelujah', 'clocks', 'halo'],
  artist: ['the beatles', 'queen', 'adele', 'coldplay', 'miles davis', 'taylor swift', 'bach', 'radiohead', 'nina simone'],
  genre: ['jazz', 'rock', 'classical', 'hip hop', 'blues', 'country', 'reggae', 'folk', 'techno'],
  playlist: ['workout', 'chill', 'running', 'party', 'study', 'focus', 'sunday'],
  mood: ['relaxing', 'upbeat', 'calm', 'happy', 'sad', 'energetic', 'mellow'],
  n: ['two', 'three', 'four', 'five', 'six', '2', '4', '8'],
  restaurant: ['luigi s', 'the golden dragon', 'chez marie', 'the oak room', 'sakura', 'el toro', 'the blue door'],
  cuisine: ['italian', 'thai', 'mexican', 'indian', 'french', 'japanese', 'greek', 'vegan'],
  onoff: ['on', 'off'],
  room: ['kitchen', 'bedroom', 'living room', 'bathroom', 'hallway', 'office', 'garage', 'dining room'],
  percent: ['ten', 'twenty', 'fifty', 'eighty', '30', '75'],
  color: ['blue', 'red', 'warm white', 'green', 'purple', 'orange'],
  topic: ['cats', 'dogs', 'computers', 'doctors', 'math', 'pirates', 'penguins', 'lawyers', 'cheese'],
  task: ['call mom', 'buy milk', 'pay the rent', 'water the plants', 'take my pills', 'email the landlord', 'pick up the kids', 'feed the cat', 'renew my passport'],
  taskNoun: ['the dentist appointment', 'the meeting', 'the rent', 'my pills', 'the parcel', 'the gym class', 'the birthday party'],
  duration: ['five minutes', 'ten minutes', 'twenty seconds', 'an hour', 'half an hour', '3 minutes', '90 seconds', 'two hours', 'fifteen minutes'],
  food: ['pasta', 'eggs', 'rice', 'pizza', 'cake', 'tea', 'bread'],
  phrase: ['thank you', 'good morning', 'where is the station', 'how are you', 'i love you', 'cheers', 'good night', 'the bill please'],
  language: ['spanish', 'french', 'german', 'italian', 'japanese', 'chinese', 'russian', 'portuguese'],
  foreign: ['merci', 'danke', 'arigato', 'gracias', 'ciao', 'bonjour', 'prego', 'salut'],
};

export const intents: Record<string, readonly string[]> = {
  weather: [
    "what's the weather {when} in {city}",
    'will it rain {when}',
    'is it going to be {weatherAdj} {when} in {city}',
    'do i need an umbrella {when}',
    'how hot will it be in {city} {when}',
    'weather forecast for {city} {when}',
    'tell me the weather in {city}',
    'is it {weatherAdj} outside',
    'is it snowing in {city} {when}',
    "what's the temperature in {city}",
  ],
  set_alarm: [
    'set an alarm for {time}',
    'wake me up at {time} {when}',
    'alarm at {time} please',
    'i need to get up at {time} {when}',
    'can you set my alarm for {time} {when}',
    'create an alarm for {time}',
    'please wake me at {time}',
    'set a wake up call for {time} {when}',
  ],
  play_music: [
    'play {song} by {artist}',
    'put on some {genre}',
    'i want to hear {artist}',
    'play my {playlist} playlist',
    'can you play something {mood}',
    'start the {genre} radio',
    'shuffle songs by {artist}',
    'play some {mood} {genre} music',
  ],
  book_restaurant: [
    'book a table for {n} at {restaurant}',
    'reserve a table for {n} people {when}',
    "i'd like a dinner reservation at {restaurant} for {time}",
    'find me a {cuisine} restaurant for {n} {when}',
    'can you get us a table at {restaurant} {when}',
    'make a reservation for {n} at {time} {when}',
    'book {cuisine} food for {n} people at {time}',
  ],
  smart_lights: [
    'turn {onoff} the lights in the {room}',
    'dim the {room} lights',
    'switch {onoff} the {room} lamp',
    'make the {room} brighter',
    'set the {room} lights to {percent} percent',
    'lights {onoff} in the {room} please',
    'change the {room} lights to {color}',
  ],
  tell_joke: [
    'tell me a joke',
    'say something funny about {topic}',
    'do you know any jokes about {topic}',
    'make me laugh {when}',
    'i need a good joke about {topic}',
    'tell me a {topic} joke',
    'got any funny stories about {topic}',
    'cheer me up with a joke about {topic}',
  ],
  reminder: [
    'remind me to {task} {when}',
    "don't let me forget to {task}",
    'set a reminder to {task} at {time}',
    'can you remind me about {taskNoun} {when}',
    'i need a reminder to {task} {when}',
    'add a reminder for {taskNoun} at {time}',
    'remind me about {taskNoun} at {time} {when}',
  ],
  timer: [
    'set a timer for {duration}',
    'start a {duration} timer',
    'count down {duration}',
    'timer for {duration} please',
    'set a {duration} countdown for the {food}',
    'start a timer for the {food} for {duration}',
    'let me know when {duration} have passed',
  ],
  translate: [
    'how do you say {phrase} in {language}',
    'translate {phrase} to {language}',
    'what is {phrase} in {language}',
    'what does {foreign} mean in english',
    'say {phrase} in {language}',
    'translate {foreign} from {language}',
    'what is the {language} word for {phrase}',
  ],
};

export const PER_INTENT = 80;

/** [utterance, intent] pairs, PER_INTENT distinct utterances per intent, in a fixed order. */
export function intentUtterances(): [string, string][] {
  const rng = new Random(2024, 1);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng.next() * xs.length)]!;
  const out: [string, string][] = [];
  for (const [intent, templates] of Object.entries(intents)) {
    const seen = new Set<string>();
    for (let tries = 0; seen.size < PER_INTENT && tries < 100_000; tries++) {
      const core = pick(templates).replace(/\{(\w+)\}/g, (_, slot: string) => pick(slots[slot]!));
      // Politeness words shared by every intent, so that none of them is a cue for one.
      const u = rng.next();
      const text = u < 0.15 ? `${core} please` : u < 0.25 ? `hey ${core}` : u < 0.32 ? `ok ${core}` : core;
      seen.add(text.replace(' please please', ' please'));
    }
    for (const text of seen) out.push([text, intent]);
  }
  return out;
}

/** Lower-case word tokens (letters, digits, apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
}
