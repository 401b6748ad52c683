"""What the synthetic agents and callers say. Written for this test set; every
line belongs to one category, and a voice only ever says its own role's lines.

Ids are stable (the pool of synthesised utterances is keyed by them and by
the text), so append new lines rather than renumbering old ones.
"""

from __future__ import annotations

AGENT: dict[str, list[str]] = {
    "greeting": [
        "Good morning, you're through to customer care, my name is Sam. How can I help you today?",
        "Thanks for calling the billing team. Could I start with your account number, please?",
        "Hello, thank you for holding. Who do I have the pleasure of speaking with?",
        "Hi there, you're speaking with the support desk. What can I do for you?",
        "Good afternoon, thanks for your patience. Let me pull up your details.",
    ],
    "empathy": [
        "I completely understand why that would be frustrating.",
        "That sounds really stressful, and I want to help you sort it out.",
        "I can hear this has been going on for a while, and that isn't fair on you.",
        "You're right to ring us about this, it shouldn't have happened.",
        "I'd feel exactly the same way if it happened to me.",
        "Thank you for explaining all of that so clearly.",
        "Let's take this one step at a time, and we'll get there together.",
    ],
    "apology": [
        "I'm really sorry about the mix-up with your order.",
        "I apologise for the wait, it's been a busy morning here.",
        "I'm sorry you had to call back about the same problem.",
        "My apologies, I should have checked that for you before.",
        "I'm so sorry, that charge should never have gone through.",
    ],
    "explain": [
        "The refund usually takes three to five working days to show on your statement.",
        "I can see the engineer visit was booked for Tuesday between eight and twelve.",
        "Your contract renews at the end of the month, so nothing changes until then.",
        "I've added a note to your account so the next person knows the whole story.",
        "The payment failed because the card we have on file has expired.",
        "If you restart the router and wait two minutes, the lights should turn green.",
        "I'll send you a confirmation email as soon as we finish this call.",
        "There is a small fee for the replacement, but I can waive it for you today.",
    ],
    "long": [
        "So what happens next is that I raise a ticket with the technical team, they look at "
        "the line from their end, and if they find a fault they will book an engineer without "
        "you having to call us again.",
        "The way the billing cycle works is that you are charged in advance for the coming "
        "month, which is why the first bill after a change always looks a little higher than "
        "the ones after it.",
        "I have gone through the last six statements with you, and every one of them shows the "
        "same extra charge, so I am going to refund all of them in one go rather than month by "
        "month.",
        "When the parcel left our warehouse it was scanned onto the van, but the courier has no "
        "record of delivery, so I am treating it as lost and arranging a new one with next day "
        "delivery.",
        "Your old tariff was withdrawn in the spring, and the system moved you onto the closest "
        "match automatically, which unfortunately included a line rental that you did not have "
        "before.",
        "What I would suggest is that we keep the current plan for now, I apply a credit for the "
        "trouble you have had, and then we review the usage together once the new month has "
        "started.",
        "To make sure this does not happen again, I am switching off the paper statements, "
        "updating the email address we hold for you, and setting a reminder for the renewal "
        "date.",
        "The engineer will need access to the main socket, which is usually in the hallway, and "
        "the visit normally takes around an hour, although it can be longer if the fault is "
        "outside.",
        "I know the letter said the account would be closed, but that was sent automatically "
        "before the payment arrived, so you can ignore it and nothing will be passed to "
        "collections.",
        "Once the replacement handset arrives, you simply put your old one in the same box, "
        "stick the prepaid label on the front and drop it at any post office within fourteen "
        "days.",
    ],
    "firm": [
        "Please, I need you to let me finish what I'm saying.",
        "I am trying to help you, but you have to listen to me.",
        "No, that is not what I said, and I won't be spoken to like that.",
        "I have already explained this to you three times now.",
        "If you keep shouting at me, I will have to end this call.",
        "Look, I cannot change the price, it is simply not possible.",
        "You are not listening to a single word I am saying!",
        "That is enough, let me tell you what is going to happen.",
    ],
    "hold": [
        "Let me just check that with my supervisor, one moment please.",
        "Bear with me a second while I look into this.",
        "Thanks so much for holding, I've got the answer for you.",
        "Sorry about that, I'm back with you now.",
    ],
    "closing": [
        "Is there anything else I can help you with today?",
        "Thank you for your patience, and have a lovely rest of your day.",
        "You should receive a text confirming all of this within the hour.",
        "Take care, and don't hesitate to call back if anything changes.",
    ],
    "backchannel": ["Mm-hm.", "Okay.", "Right.", "I see.", "Sure.", "Yeah."],
    "exclaim": [
        "Oh wow, really?",
        "Ha ha, oh dear!",
        "Oh no!",
        "Ha ha ha!",
        "Oh, brilliant!",
        "No way!",
    ],
}

CALLER: dict[str, list[str]] = {
    "complaint": [
        "I've been charged twice for the same thing and nobody seems to care.",
        "This is the third time I've rung about my broadband dropping out.",
        "Your engineer never turned up, and I took the whole day off work for it.",
        "I was promised a call back on Friday and I never heard a thing.",
        "The bill says I owe ninety pounds, but I cancelled that service in March.",
        "My parcel says delivered, but there's nothing on my doorstep.",
        "I just want someone to tell me what is actually going on.",
        "Every time I call I get passed to a different department.",
        "Why does it take forty minutes to get through to a human being?",
        "I'm paying for fast internet and I'm getting next to nothing.",
    ],
    "rant": [
        "Honestly, I have been a customer for eleven years, I have never missed a single "
        "payment, and this is how you treat me, with letters threatening to close my account "
        "over a mistake your own people made.",
        "I spoke to a woman on Monday who said it was sorted, then a man on Wednesday who said "
        "there was no record of the call at all, and now I am sitting here explaining the whole "
        "thing again from the start.",
        "The app kept telling me there was an error, so I tried the website, which logged me out "
        "twice, and when I finally got through on the phone the line went dead after twenty "
        "minutes of waiting.",
        "My elderly mother relies on that landline, it has been dead since the weekend, and "
        "nobody could give me a date for when it would be fixed or even tell me whether anyone "
        "was looking at it.",
        "I asked very clearly for the cheaper plan, I even wrote down the name of the person I "
        "spoke to, and yet the bill that came this morning is nearly double what I was quoted.",
        "You took the money out of my account on the first, the same day my rent goes out, and "
        "now I have bank charges on top of everything else because of your mistake.",
        "I have sent the form back three times, once by post and twice by email, and every "
        "single time I get a letter saying you are still waiting to receive it from me.",
        "It is not acceptable that I have to chase you for a refund that was agreed weeks ago, "
        "and frankly I am tired of being told that it is with another team.",
    ],
    "reply": [
        "Yes, that's right.",
        "No, not that one, the other account.",
        "Okay, and how long will that take?",
        "It's four, seven, two, nine, one.",
        "Fine, go on then.",
        "Well, that's what I was told last time.",
    ],
    "shout": [
        "This is absolutely ridiculous!",
        "Don't you dare put me on hold again!",
        "I want to speak to a manager, right now!",
        "I am sick and tired of this!",
    ],
}

# The categories whose lines also exist as a raised rendering (pitch, tempo, brightness).
AGENT_RAISED = ("firm", "explain", "empathy")
CALLER_RAISED = ("complaint", "rant", "shout")


def line_id(category: str, index: int) -> str:
    return f"{category}{index:02d}"


def lines(role: str) -> dict[str, str]:
    """Every line of a role by id (``agent`` or ``caller``)."""
    table = AGENT if role == "agent" else CALLER
    return {line_id(c, i): t for c, texts in table.items() for i, t in enumerate(texts)}


def count() -> int:
    return sum(len(v) for v in AGENT.values()) + sum(len(v) for v in CALLER.values())
