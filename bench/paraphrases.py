"""The telescope-shop handbook of the README and questions that paraphrase it.

Each question is worded the way a customer would ask it, mostly without the handbook's own
words ("Can I bring it back if I don't like it?" for "you can return any telescope ... for a
full refund"); ``answer`` is a phrase of the sentence that answers it. Used by bench/brain.py
(recall@1) and, a few of them, by the tests.
"""

from __future__ import annotations

HANDBOOK = """# Orion Telescope Shop handbook

## Returns
You can return any telescope within 45 days of delivery for a full refund, as long as it
comes back in its original box. Opened eyepieces and filters can be exchanged but not refunded.
We pay the return postage when the item arrived damaged.

## Warranty
Every telescope mount is covered for seven years against defects in materials and workmanship.
Optical tubes carry a two-year warranty. Damage from drops, sand or salt water is not covered.

## Opening hours
The shop is open Monday to Friday from 10 am to 7 pm and on Saturdays from 9 am to 5 pm.
On Sundays we are closed, except during the Perseid meteor shower in August.

## Shipping
Orders placed before 2 pm leave our warehouse the same working day. Delivery within the
country takes two to three days and is free above 150 euros. We also ship to Switzerland,
Norway and the United Kingdom; customs fees are paid by the buyer.

## Payment
We accept Visa, Mastercard, bank transfer and cash in the shop. Instalment plans over twelve
months are offered for purchases above 600 euros.

## Repairs and servicing
Our workshop cleans and aligns mirrors for 60 euros per instrument. A typical repair takes ten
working days; we lend you a small refractor in the meantime.

## Rentals
Telescopes can be rented by the weekend for 35 euros, including a star map and a red torch.
A deposit of 200 euros is held on your card until the instrument is returned.

## Stargazing evenings
Every second Friday of the month we host a free observing night on the roof terrace. Places are
limited to twenty guests, so please register on our website. Children under twelve must come
with an adult.

## Beginner classes
A four-week astronomy course for beginners starts every March and October. It costs 90 euros and
covers finding planets, using a star chart and caring for your optics.

## Trade-ins
Bring your old telescope and we will credit up to 40 percent of its value against a new one.
Instruments must be complete and in working order.

## Price match
If you find the same product cheaper at another shop in the country, we match the price within
14 days of your purchase.

## Gift cards
Gift cards are sold in amounts from 20 to 500 euros and stay valid for three years. They cannot
be exchanged for cash.

## Location and parking
The shop is at 12 Kepler Street, next to the old observatory. Customers park free of charge in
the courtyard behind the building; the tram stop Observatory is two minutes away on foot.

## Contact
You can call us on 040 555 0199 during opening hours or write to help@orion-shop.example. We
answer emails within one working day.

## Privacy
We keep your address only to deliver orders and never sell customer data. You can ask us to
delete your account at any time.

## Collimation
Newtonian telescopes need collimation after transport: the mirrors must be aligned again so
that stars look sharp. We show you how to do it with a laser collimator for free when you buy a
telescope.

## Membership club
Members of the Orion club pay 25 euros a year and get ten percent off all accessories, early
access to rare eyepieces and a monthly sky newsletter.

## Accessories
We stock eyepieces from 4 mm to 40 mm, solar filters, dew shields and sturdy carrying cases.
Never look at the Sun without a certified solar filter on the front of the telescope.
"""

# (question, phrase of the answering sentence)
QUESTIONS: list[tuple[str, str]] = [
    ("What is your return policy?", "return any telescope within 45 days"),
    ("Can I bring a telescope back if I change my mind?", "return any telescope within 45 days"),
    ("Will I get my money back for an opened eyepiece?", "exchanged but not refunded"),
    ("Who covers the postage if it arrives broken?", "We pay the return postage"),
    ("How long is the mount guaranteed?", "covered for seven years"),
    ("Is the optical tube protected against defects, and for how long?", "two-year warranty"),
    ("Does the guarantee cover it if I drop it?", "Damage from drops"),
    ("When can I visit the store during the week?", "Monday to Friday from 10 am to 7 pm"),
    ("Are you open at the weekend?", "Saturdays from 9 am to 5 pm"),
    ("Can I come by on a Sunday?", "On Sundays we are closed"),
    ("If I order in the morning, when does the parcel go out?", "leave our warehouse the same"),
    ("How many days until my package arrives?", "two to three days"),
    ("Is delivery free?", "free above 150 euros"),
    ("Do you send orders abroad, for example to Oslo?", "ship to Switzerland, Norway"),
    ("Who pays import duties?", "customs fees are paid by the buyer"),
    ("Which credit cards can I use?", "Visa, Mastercard"),
    ("Can I pay in monthly instalments?", "Instalment plans over twelve months"),
    ("How much do you charge to clean a mirror?", "60 euros per instrument"),
    ("How long does fixing my scope take?", "ten working days"),
    ("Will I have something to observe with while mine is being fixed?", "lend you a small"),
    ("Can I borrow a telescope for a weekend, and what does it cost?", "rented by the weekend"),
    ("Do I have to leave a security payment when renting?", "deposit of 200 euros"),
    ("Do you organise public observing nights?", "free observing night on the roof"),
    ("How many people can join a stargazing evening?", "limited to twenty guests"),
    ("Can my eight-year-old come alone to the observing night?", "under twelve must come"),
    ("Do you teach astronomy to newcomers?", "four-week astronomy course"),
    ("What is the fee for the beginners' course?", "It costs 90 euros"),
    ("What can I get for my old telescope?", "credit up to 40 percent"),
    ("Does my old scope have to work to be traded in?", "complete and in working order"),
    ("Another store sells it for less. Can you do the same price?", "we match the price"),
    ("How long are vouchers valid?", "valid for three years"),
    ("Can I turn a gift voucher into cash?", "cannot be exchanged for cash"),
    ("Where is your shop?", "12 Kepler Street"),
    ("Where can I leave my car?", "park free of charge in the courtyard"),
    ("Can I get there by public transport?", "tram stop Observatory"),
    ("What number can I ring?", "040 555 0199"),
    ("How quickly do you reply to messages?", "within one working day"),
    ("Do you sell my personal information?", "never sell customer data"),
    ("Can I have my account removed?", "delete your account"),
    ("My stars look blurry after moving the telescope. Why?", "need collimation"),
    ("Will someone show me how to align the mirrors?", "show you how to do it"),
    ("Is there a loyalty programme?", "Members of the Orion club"),
    ("What discount do club members get?", "ten percent off all accessories"),
    ("Which eyepiece sizes do you carry?", "eyepieces from 4 mm to 40 mm"),
    ("Is it safe to look at the sun through a telescope?", "Never look at the Sun"),
    ("What payment methods do you take in the store?", "cash in the shop"),
]

# turns whose answer depends on the previous turn: (first question, follow-up, phrase)
FOLLOW_UPS: list[tuple[str, str, str]] = [
    ("When are you open on Saturdays?", "And on Sundays?", "On Sundays we are closed"),
    ("How long is the warranty on the mount?", "What about the tube?", "two-year warranty"),
    ("Can I rent a telescope?", "Is there a deposit?", "deposit of 200 euros"),
]

# questions the handbook does not answer: the character must say so, not guess
OFF_TOPIC: list[str] = [
    "Who won the football world cup in 1998?",
    "What is the capital of Norway?",
    "How long should I bake sourdough bread?",
    "Can you recommend a good dentist?",
    "What's the price of bitcoin today?",
]

# written after the thresholds of kinema.brain.embedded were calibrated on QUESTIONS, and never
# used to tune anything: the honest check that the figures are not fitted to the set above
HELD_OUT: list[tuple[str, str]] = [
    ("How many days do I have to send a telescope back?", "return any telescope within 45 days"),
    ("Is the warranty on the mount long?", "covered for seven years"),
    ("What time do you close on Saturday?", "Saturdays from 9 am to 5 pm"),
    ("Do you deliver to the UK?", "ship to Switzerland, Norway"),
    ("Is cash accepted?", "cash in the shop"),
    ("How much is a weekend rental?", "rented by the weekend for 35 euros"),
    ("When does the next beginners course begin?", "starts every March and October"),
    ("Do you price match?", "we match the price"),
    ("Where do I park?", "park free of charge"),
    ("How fast do you answer e-mails?", "within one working day"),
    ("What does club membership cost?", "pay 25 euros a year"),
    ("Do you have solar filters?", "solar filters"),
]
